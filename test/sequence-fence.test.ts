import t from 'tap';
import { SequenceFence } from '../operators/wire/sequence-fence.js';

t.test('SequenceFence: each message once, in order, per camera and channel', async (t) => {
  const f = new SequenceFence();
  t.ok(f.admit('door', 'events', 1001));
  t.notOk(f.admit('door', 'events', 1001), 'the copy from the stream is dropped');
  t.ok(f.admit('door', 'tracks', 1000), 'snapshots keep their own order (another subject, another consumer)');
  t.ok(f.admit('yard', 'events', 5), 'cameras are independent');
  t.ok(f.admit('door', 'events', 2_000_001), "the new owner's first message (a higher epoch)");
  t.notOk(f.admit('door', 'events', 1002), "a stale owner's late message is dropped");
  f.forget('door');
  t.ok(f.admit('door', 'events', 1002), 'a forgotten camera starts again');
});
