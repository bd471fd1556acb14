// The supervisor's stall decisions: only time spent waiting for the camera counts; a stream slower
// than it promises, over a window, is a slow stall.
import t from 'tap';
import { slowStreamReason, watchdogVerdict } from '../operators/sources/stall-watch.js';

t.test('watchdogVerdict', async (t) => {
  t.same(
    watchdogVerdict(null, 10_000, 5000),
    { recheckInMs: 5000 },
    'no pull out (the consumer is busy): look again a whole limit later',
  );
  t.same(
    watchdogVerdict(8000, 10_000, 5000),
    { recheckInMs: 3000 },
    'a pull waiting 2 s of 5: look again when the 5 s are up',
  );
  t.equal(watchdogVerdict(4000, 10_000, 5000), 'stall', 'a pull waiting 6 s: stalled');
  t.equal(watchdogVerdict(undefined, 10_000, 5000), 'stall', 'a source that does not say: every moment counts');
});

t.test('slowStreamReason', async (t) => {
  t.equal(slowStreamReason(120, 100, 0.5, 60_000), null, 'waits of 1.2 intervals: keeps up');
  t.equal(
    slowStreamReason(250, 100, 0.5, 60_000),
    'frames came every 250 ms on average over 60 s, the stream promises one every 100 ms',
  );
  t.equal(slowStreamReason(10_000, 100, 0, 60_000), null, 'ratio 0: off');
});
