// recycle frame pixels: see operators/recycle-frame-pixels.ts.
import { lastValueFrom, of, toArray } from 'rxjs';
import t from 'tap';
import type { FrameTracks, Tracks } from '../models/tracks.js';
import { recycleFramePixels } from '../operators/recycle-frame-pixels.js';
import { FrameBufferPool } from '../operators/sources/frame-buffer-pool.js';
import { blankFrame } from './helpers/fixtures.js';
import { frameTracks as item } from './helpers/operator-doubles.js';

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
