// The live-source supervisor on scripted sources: states, backoff, stall watchdog, monotonic indices.
// On a fake clock (@sinonjs/fake-timers: timers and performance.now): `wait` advances it, so no
// test depends on how busy the machine is.
import { type Clock, install } from '@sinonjs/fake-timers';
import t from 'tap';
import { Observable, Subject } from 'rxjs';
import type { Frame } from '../models/frame.js';
import { SourceError } from '../operators/sources/source-error.js';
import {
  backoffDelayMs,
  superviseLiveSource,
  type SourceHealthChange,
} from '../operators/sources/supervise-live-source.js';
import { blankFrame } from './helpers/fixtures.js';

let clock: Clock;
t.beforeEach(() => {
  clock = install({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
});
t.afterEach(() => {
  clock.uninstall();
});
/** Moves the fake clock on by `ms`, running the timers due and the promise callbacks between them. */
const wait = async (ms: number) => {
  await clock.tickAsync(ms);
};
const options = {
  stallTimeoutMs: 150,
  connectTimeoutMs: 150,
  backoffInitialMs: 20,
  backoffMaxMs: 80,
  maxReconnects: 0,
  random: () => 0.5,
};
/** Frame i of a connection at 10 fps (each connection restarts at 0, as a new GStreamer pipeline does). */
const frame = (i: number): Frame => blankFrame('cam', i, 4, 4, 10);

/** A source whose connections the test drives: each subscribe makes a new Subject. */
function scriptedSource() {
  const connections: Subject<Frame>[] = [];
  let closed = 0;
  const connect = () =>
    new Observable<Frame>((sub) => {
      const s = new Subject<Frame>();
      connections.push(s);
      const inner = s.subscribe(sub);
      return () => {
        closed++;
        inner.unsubscribe();
      };
    });
  return { connect, connections, closed: () => closed };
}

t.test('backoff doubles up to its cap, with ±20 % jitter', async (t) => {
  t.same(
    [1, 2, 3, 4, 5, 6].map((a) => backoffDelayMs(a, 1000, 30000, () => 0.5)),
    [1000, 2000, 4000, 8000, 16000, 30000],
  );
  t.equal(
    backoffDelayMs(10, 1000, 30000, () => 0.5),
    30000,
    'capped',
  );
  t.equal(
    backoffDelayMs(1, 1000, 30000, () => 0),
    800,
  );
  t.equal(
    backoffDelayMs(1, 1000, 30000, () => 0.9999),
    1200,
  );
});

t.test('a disconnect (end of stream) is no end: it reconnects, states in order, indices continue', async (t) => {
  const src = scriptedSource();
  const health: SourceHealthChange[] = [];
  const out: Frame[] = [];
  let completed = false;
  const sub = superviseLiveSource(src.connect, options, (h) => health.push(h)).subscribe({
    next: (f) => out.push(f),
    complete: () => {
      completed = true;
    },
  });
  t.teardown(() => sub.unsubscribe());
  src.connections[0].next(frame(0));
  src.connections[0].next(frame(1));
  src.connections[0].next(frame(2));
  src.connections[0].complete(); // the RTSP server went away: GStreamer reports EOS
  await wait(60);
  t.equal(src.connections.length, 2, 'connected again after the backoff');
  src.connections[1].next(frame(0));
  src.connections[1].next(frame(1));
  t.notOk(completed, 'never completes on its own');
  t.same(
    health.map((h) => h.state),
    ['connecting', 'streaming', 'reconnecting', 'streaming'],
  );
  t.equal(health[2].code, 'stream-ended');
  t.equal(health[3].reconnects, 1);
  const idx = out.map((f) => f.frameIndex),
    pts = out.map((f) => f.ptsMs);
  t.ok(
    idx.every((v, i) => i === 0 || v > idx[i - 1]),
    `frame indices increase across the reconnect: ${idx}`,
  );
  t.ok(
    pts.every((v, i) => i === 0 || v > pts[i - 1]),
    `media time increases: ${pts}`,
  );
  t.ok(pts[3] - pts[2] >= 50, `the outage counts as elapsed media time (${(pts[3] - pts[2]).toFixed(0)} ms)`);
  t.equal(pts[4] - pts[3], 100, 'within a connection the stream keeps its own clock');
});

t.test('a retryable error backs off and retries forever; a permanent one fails at once', async (t) => {
  const src = scriptedSource();
  const health: SourceHealthChange[] = [];
  const sub = superviseLiveSource(src.connect, options, (h) => health.push(h)).subscribe({ error: () => undefined });
  t.teardown(() => sub.unsubscribe());
  for (let i = 0; i < 5; i++) {
    src.connections[i].error(new SourceError('unreachable', 'cam', 'rtsp://x', 'refused', 'fix'));
    await wait(100);
  }
  t.equal(src.connections.length, 6, 'five failures, six attempts, still trying');
  t.same(
    health.map((h) => h.state),
    ['connecting', 'reconnecting'],
    'one state change, not one log line per retry',
  );
  t.equal(health[1].code, 'unreachable');

  const src2 = scriptedSource();
  let error: unknown;
  superviseLiveSource(src2.connect, options, () => undefined).subscribe({
    error: (e) => {
      error = e;
    },
  });
  src2.connections[0].error(new SourceError('unsupported-scheme', 'cam', 'ftp://x', 'no', 'fix'));
  await wait(60);
  t.equal(src2.connections.length, 1, 'no retry of a permanent error');
  t.equal((error as SourceError).code, 'unsupported-scheme');
});

t.test('a finite reconnect budget ends in failure', async (t) => {
  const src = scriptedSource();
  const health: SourceHealthChange[] = [];
  let error: unknown;
  superviseLiveSource(src.connect, { ...options, maxReconnects: 2 }, (h) => health.push(h)).subscribe({
    error: (e) => {
      error = e;
    },
  });
  for (let i = 0; i < 3; i++) {
    src.connections[i]?.error(new SourceError('unreachable', 'cam', 'rtsp://x', 'refused', 'fix'));
    await wait(100);
  }
  t.equal(src.connections.length, 3, 'the first try and two reconnects');
  t.equal((error as SourceError).code, 'unreachable');
  t.equal(health.at(-1)!.state, 'failed');
});

t.test('stall watchdog: no frame for stallTimeoutMs tears the connection down and rebuilds it', async (t) => {
  const src = scriptedSource();
  const health: SourceHealthChange[] = [];
  const sub = superviseLiveSource(src.connect, options, (h) => health.push(h)).subscribe();
  t.teardown(() => sub.unsubscribe());
  src.connections[0].next(frame(0));
  await wait(100);
  src.connections[0].next(frame(1)); // still in time: the watchdog is re-armed by every frame
  await wait(100);
  t.equal(src.connections.length, 1, 'frames within the timeout keep the connection');
  await wait(150); // frozen: connection open, no frames
  t.equal(src.closed(), 1, 'the frozen connection was torn down');
  t.same(health.map((h) => h.state).slice(0, 4), ['connecting', 'streaming', 'stalled', 'reconnecting']);
  t.equal(health[2].code, 'stalled');
  await wait(60);
  t.equal(src.connections.length, 2, 'and rebuilt');
  src.connections[1].next(frame(0));
  t.equal(health.at(-1)!.state, 'streaming', 'streaming again');
});

t.test(
  'a connection that never delivers a first frame is a failed attempt, not a stall, and gets its own timeout',
  async (t) => {
    const src = scriptedSource();
    const health: SourceHealthChange[] = [];
    const sub = superviseLiveSource(src.connect, { ...options, stallTimeoutMs: 100, connectTimeoutMs: 300 }, (h) =>
      health.push(h),
    ).subscribe();
    t.teardown(() => sub.unsubscribe());
    await wait(200);
    t.equal(src.connections.length, 1, 'a slow connect is given connectTimeoutMs, longer than the stall timeout');
    await wait(200);
    t.equal(src.closed(), 1, 'then torn down');
    t.same(
      health.map((h) => h.state),
      ['connecting', 'reconnecting'],
      'no stalled state for a connection that never streamed',
    );
    t.equal(health[1].code, 'connect-timeout');
    await wait(450); // the next attempt times out too: still one state, no new log line
    t.ok(src.connections.length >= 2, 'tried again');
    t.same(
      health.map((h) => h.state),
      ['connecting', 'reconnecting'],
    );
  },
);

t.test('unsubscribing stops timers and the connection', async (t) => {
  const src = scriptedSource();
  const sub = superviseLiveSource(src.connect, options, () => undefined).subscribe();
  src.connections[0].complete();
  sub.unsubscribe();
  await wait(250);
  t.equal(src.connections.length, 1, 'no reconnect after unsubscribe');
});

t.test(
  'slow stall: pulls waiting far longer for the camera than its frame rate promises is a stall (code slow-stream); a busy consumer is not',
  async (t) => {
    // Frames stamped at 100 fps (10 ms apart in media time) whose pulls waited `waitMs` each for the camera.
    const run = async (waitMs: number) => {
      const src = scriptedSource();
      const health: SourceHealthChange[] = [];
      const sub = superviseLiveSource(src.connect, { ...options, slowStallRatio: 0.2, slowStallWindowMs: 200 }, (h) =>
        health.push(h),
      ).subscribe();
      let i = 0;
      const feeder = setInterval(() => {
        const f = blankFrame('cam', i, 4, 4, 100);
        src.connections[src.connections.length - 1]?.next({
          ...f,
          timing: { receivedAt: performance.now(), sourceWaitMs: waitMs },
        });
        i += 4;
      }, 40);
      await wait(520);
      clearInterval(feeder);
      sub.unsubscribe();
      return health;
    };
    const slow = await run(90); // 9 frame intervals per frame: the camera sends about one frame in nine
    const stalled = slow.find((h) => h.state === 'stalled');
    t.equal(stalled?.code, 'slow-stream', 'detected');
    t.match(stalled?.reason, /frames came every 90 ms on average over 0\.2 s, the stream promises one every 10 ms/);
    t.same(
      slow.map((h) => h.state).slice(0, 4),
      ['connecting', 'streaming', 'stalled', 'reconnecting'],
      'torn down and reconnected',
    );
    t.notOk(
      (await run(0)).some((h) => h.state === 'stalled'),
      'not when the pulls found a frame waiting (the consumer was the slower side)',
    );
    t.notOk(
      (await run(10)).some((h) => h.state === 'stalled'),
      'not at the promised rate',
    );
  },
);

t.test('the stall watchdog counts only time spent waiting for the camera, not a busy consumer', async (t) => {
  const src = scriptedSource();
  const health: SourceHealthChange[] = [];
  let waitingSince: number | null = null;
  const sub = superviseLiveSource(src.connect, { ...options, sourceWaitingSince: () => waitingSince }, (h) =>
    health.push(h),
  ).subscribe();
  t.teardown(() => sub.unsubscribe());
  src.connections[0].next(frame(0));
  waitingSince = null; // the model holds the frame for 3 watchdog periods
  await wait(450);
  t.notOk(
    health.some((h) => h.state === 'stalled'),
    'no stall while no pull was out',
  );
  waitingSince = performance.now(); // the pull goes out; the camera says nothing
  await wait(250);
  t.ok(
    health.some((h) => h.state === 'stalled'),
    'stalled once a pull waited longer than the watchdog',
  );
});

t.test(
  'a reconnect request makes a streaming connection again at once; one while not streaming is left to the reconnect under way',
  async (t) => {
    const src = scriptedSource();
    const health: SourceHealthChange[] = [];
    const requests = new Subject<string>();
    const out: Frame[] = [];
    const sub = superviseLiveSource(
      src.connect,
      { ...options, backoffInitialMs: 1000, backoffMaxMs: 1000, reconnectRequests: requests },
      (h) => health.push(h),
    ).subscribe({ next: (f) => out.push(f) });
    t.teardown(() => sub.unsubscribe());
    requests.next('too early'); // still connecting: nothing to do
    t.equal(src.connections.length, 1);
    src.connections[0].next(frame(0));
    src.connections[0].next(frame(1));
    requests.next('the recording can be written again');
    t.equal(src.closed(), 1, 'the streaming connection was torn down');
    t.equal(src.connections.length, 2, 'and made again at once, without the backoff');
    src.connections[1].next(frame(0));
    t.same(
      health.map((h) => [h.state, h.code]),
      [
        ['connecting', undefined],
        ['streaming', undefined],
        ['reconnecting', 'reconfigure'],
        ['streaming', undefined],
      ],
    );
    t.equal(health[2].reason, 'the recording can be written again');
    const idx = out.map((f) => f.frameIndex);
    t.ok(idx[2] > idx[1], `frame indices continue: ${idx}`);
    src.connections[1].complete(); // lost: a reconnect with backoff is under way
    requests.next('while reconnecting');
    t.equal(src.connections.length, 2, 'no extra connection while one is pending');
  },
);
