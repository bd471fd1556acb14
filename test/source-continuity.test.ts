// Frame indices and media time: a file's frames by count, a stream's by timestamp (gaps where the
// source dropped frames, never a repeat), a paced file kept on its frame grid; across a reconnect the
// indices and times go on from the last frame, advanced by the outage.
import t from 'tap';
import {
  continuationOffset,
  learnStepMs,
  nextFrameTiming,
  parseFramerate,
} from '../operators/sources/source-continuity.js';

t.test('parseFramerate: a fraction, null for variable or missing', async (t) => {
  t.equal(parseFramerate('10/1'), 10);
  t.equal(parseFramerate('30000/1001'), 30000 / 1001);
  t.equal(parseFramerate('0/1'), null, 'RTP/JPEG declares 0/1');
  t.equal(parseFramerate(undefined), null);
  t.equal(parseFramerate('ten'), null);
});

t.test('nextFrameTiming', async (t) => {
  const never = () => {
    throw new Error('a file read in full never asks for its position');
  };
  t.same(
    nextFrameTiming({ timedByStream: false, fps: 25, onFrameGrid: true }, 7, 6, never),
    { index: 7, ptsMs: 280 },
    'a file: the count, count / fps',
  );
  const live = { timedByStream: true, fps: 10, onFrameGrid: false };
  t.same(
    nextFrameTiming(live, 3, 2, () => 0.6),
    { index: 6, ptsMs: 600 },
    'a stream: index from its timestamp, frames 3-5 dropped leave a gap',
  );
  t.same(
    nextFrameTiming(live, 3, 6, () => 0.6),
    { index: 7, ptsMs: 600 },
    'never the same index twice',
  );
  t.same(
    nextFrameTiming(live, 4, 3, () => -1),
    { index: 4, ptsMs: 400 },
    'no timestamp: the count over fps',
  );
  t.same(
    nextFrameTiming({ timedByStream: true, fps: null, onFrameGrid: false }, 4, 9, () => 1.2345),
    { index: 10, ptsMs: 1234.5 },
    'no frame rate: the next index, the timestamp as it is',
  );
  t.same(
    nextFrameTiming({ timedByStream: true, fps: 10, onFrameGrid: true }, 0, -1, () => 0.4021),
    { index: 4, ptsMs: 400 },
    'a paced file stays on its frame grid',
  );
});

t.test('continuationOffset and learnStepMs', async (t) => {
  const last = { frameIndex: 41, ptsMs: 4100, at: 10_000 };
  t.same(
    continuationOffset(last, { frameIndex: 0, ptsMs: 0 }, 100, 13_000),
    { index: 71, pts: 7100 },
    'a 3 s outage: 30 frame intervals later',
  );
  t.same(
    continuationOffset(last, { frameIndex: 5, ptsMs: 500 }, 100, 10_020),
    { index: 37, pts: 3700 },
    'at least one interval after the last frame',
  );
  t.equal(
    learnStepMs({ frameIndex: 10, ptsMs: 1000, at: 0 }, { frameIndex: 12, ptsMs: 1080 }, true, 100),
    40,
    'from two frames of one connection',
  );
  t.equal(
    learnStepMs({ frameIndex: 10, ptsMs: 1000, at: 0 }, { frameIndex: 40, ptsMs: 5000 }, false, 100),
    100,
    'an outage is no frame interval',
  );
  t.equal(learnStepMs(null, { frameIndex: 0, ptsMs: 0 }, true, 100), 100, 'nothing to learn from one frame');
});
