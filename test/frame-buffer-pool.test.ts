// The source's pool of frame buffers: what it takes back, what it refuses, and that a recycled
// frame can never show another frame's pixels (its view is detached).
import t from 'tap';
import { FrameBufferPool, recycleFrameBuffer } from '../operators/sources/frame-buffer-pool.js';

t.test('a recycled frame buffer comes back from take(), and the frame that held it reads as empty', async (t) => {
  const pool = new FrameBufferPool(2);
  t.equal(pool.take(), undefined, 'nothing free before any frame');
  const rgb = new Uint8Array(12).fill(7);
  pool.adopt(rgb);
  recycleFrameBuffer(rgb);
  t.equal(rgb.length, 0, 'the old view is detached');
  const again = pool.take();
  t.equal(again?.length, 12, 'same size');
  t.same([...again!], Array(12).fill(7), 'same memory (moved, not copied)');
  t.equal(pool.take(), undefined, 'only one was given back');
  recycleFrameBuffer(rgb);
  t.equal(pool.take(), undefined, 'a second recycle of the same frame gives nothing');
});

t.test(
  'buffers of another size, beyond capacity, after close, or slices of a shared buffer are not kept',
  async (t) => {
    const pool = new FrameBufferPool(1);
    const a = new Uint8Array(12),
      b = new Uint8Array(12),
      c = new Uint8Array(24);
    pool.adopt(a);
    pool.adopt(b);
    recycleFrameBuffer(a);
    recycleFrameBuffer(b);
    t.ok(pool.take(), 'one kept');
    t.equal(pool.take(), undefined, 'capacity 1: the second went to the garbage collector');
    const d = new Uint8Array(12);
    pool.adopt(d);
    pool.adopt(c); // the frame size changed: 12-byte buffers are no use any more
    recycleFrameBuffer(d);
    t.equal(pool.take(), undefined, 'a buffer of the old size is dropped');
    recycleFrameBuffer(c);
    t.equal(pool.take()?.length, 24, 'the new size is kept');
    const shared = new Uint8Array(new ArrayBuffer(48), 12, 24);
    pool.adopt(shared);
    recycleFrameBuffer(shared);
    t.equal(shared.length, 24, 'a view into a larger buffer is left alone');
    const e = new Uint8Array(24);
    pool.adopt(e);
    pool.close();
    recycleFrameBuffer(e);
    t.equal(pool.take(), undefined, 'a closed pool takes nothing back');
    const foreign = new Uint8Array(24);
    recycleFrameBuffer(foreign);
    t.equal(foreign.length, 24, 'a frame of no pool is untouched');
  },
);
