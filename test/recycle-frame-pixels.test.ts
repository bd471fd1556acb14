// recycle frame pixels: see operators/recycle-frame-pixels.ts.
import { lastValueFrom, of, toArray } from 'rxjs';
import t from 'tap';
import type { FrameTracks, Tracks } from '../models/tracks.js';
import { recycleFramePixels } from '../operators/recycle-frame-pixels.js';
import { FrameBufferPool } from '../operators/sources/frame-buffer-pool.js';
import { blankFrame } from './helpers/fixtures.js';

const item = (frameIndex: number, box: [number, number, number, number], ended: number[] = []): FrameTracks => ({
  kind: 'frame',
  cameraId: 'cam',
  frameIndex,
  ptsMs: frameIndex * 100,
  width: 100,
  height: 100,
  detectionCount: 1,
  inferenceMs: 0,
  started: [],
  active: [{ trackId: 1, classId: 0, className: 'person', score: 0.9, box, mask: null, age: frameIndex }],
  ended: ended.map((trackId) => ({
    trackId,
    classId: 0,
    className: 'person',
    firstFrame: 0,
    lastFrame: frameIndex,
    firstPtsMs: 0,
    lastPtsMs: frameIndex * 100,
    hits: 3,
    meanScore: 0.9,
  })),
});

t.test("recycleFramePixels: the frame's buffer goes back to its pool and leaves the item", async (t) => {
  const pool = new FrameBufferPool(2);
  const pixels = new Uint8Array(4 * 4 * 3);
  pool.adopt(pixels);
  const withFrame: FrameTracks = { ...item(0, [0, 0, 1, 1]), frame: { ...blankFrame('cam', 0, 4, 4), rgb: pixels } };
  const [out] = await lastValueFrom(of<Tracks>(withFrame).pipe(recycleFramePixels(), toArray()));
  t.notOk('frame' in out, 'no frame on the item after it');
  t.equal(pixels.length, 0, 'the pixels were detached (given back)');
  t.equal(pool.take()?.length, 4 * 4 * 3, 'and the pool has the buffer for the next pull');
});
