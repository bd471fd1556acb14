// The C pixel kernels (models/native/pixels.c) against the JavaScript ones they replace: the same
// float32 values bit for bit, on real frames of the default recording and on odd sizes, and clear
// errors (not a crash) for arguments of the wrong type or size.
import t from 'tap';
import { cropResizeNormaliseJs } from '../models/crop-resize.js';
import { computeLetterbox, letterboxToTensorJs } from '../models/letterbox.js';
import { nativePixels, nativePixelsUnavailable } from '../models/native-pixels.js';

const sameBits = (a: Float32Array, b: Float32Array) =>
  Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  ) === 0;
/** A frame of pseudo-random bytes (sharp edges everywhere: every interpolation weight matters). */
const noise = (width: number, height: number, seed: number) =>
  new Uint8Array(width * height * 3).map((_, i) => (((i + seed) * 2654435761) >>> 13) & 255);

t.test('the native kernels are built and in use (./setup.sh builds them)', async (t) => {
  t.ok(nativePixels, `native pixel kernels: ${nativePixelsUnavailable ?? 'loaded'}`);
});

const native = nativePixels;
if (native) {
  t.test(
    'letterbox: the same float32 values as the JavaScript kernel, downscaled and upscaled, with vertical and horizontal bands',
    async (t) => {
      const cases: [number, number, number, number][] = [
        [768, 576, 320, 320],
        [768, 576, 640, 640],
        [1280, 720, 640, 384],
        [97, 61, 320, 320],
        [61, 97, 64, 64],
        [100, 51, 64, 64],
        [3, 2, 32, 32],
      ];
      for (const [fw, fh, iw, ih] of cases) {
        const rgb = noise(fw, fh, fw + ih),
          lb = computeLetterbox(fw, fh, iw, ih);
        const want = new Float32Array(3 * iw * ih).fill(NaN),
          got = new Float32Array(3 * iw * ih).fill(NaN);
        letterboxToTensorJs(rgb, lb, want);
        native.letterbox(rgb, fw, fh, iw, ih, lb.resizedWidth, lb.resizedHeight, lb.padX, lb.padY, got);
        t.ok(sameBits(want, got), `${fw}x${fh} into ${iw}x${ih} (pad ${lb.padX}, ${lb.padY})`);
        t.notOk(got.some(Number.isNaN), `${fw}x${fh} into ${iw}x${ih}: every value written`);
      }
    },
  );

  t.test(
    'crops: the same float32 values as the JavaScript kernel for boxes inside, across and outside the frame',
    async (t) => {
      const [width, height] = [768, 576],
        rgb = noise(width, height, 7);
      const boxes = [
        [100.3, 50.7, 160.2, 230.9],
        [0, 0, 768, 576],
        [-5, 400, 30, 600],
        [700.5, 10.25, 800, 100],
        [300, 300, 300, 300],
        [767.9, 575.9, 900, 900],
        [10, 10, 10.5, 10.5],
      ];
      const flat = new Float32Array(boxes.flat());
      for (const [ow, oh] of [
        [128, 256],
        [7, 3],
      ]) {
        const size = 3 * ow * oh,
          want = new Float32Array(boxes.length * size + 9).fill(NaN),
          got = new Float32Array(boxes.length * size + 9).fill(NaN);
        boxes.forEach((_, i) => {
          cropResizeNormaliseJs(rgb, width, height, flat, 4 * i, ow, oh, want, 9 + i * size);
          native.cropResizeNormalise(
            rgb,
            width,
            height,
            flat[4 * i],
            flat[4 * i + 1],
            flat[4 * i + 2],
            flat[4 * i + 3],
            ow,
            oh,
            got,
            9 + i * size,
          );
        });
        t.ok(sameBits(want, got), `${boxes.length} boxes at ${ow}x${oh}`);
        t.ok(got.subarray(0, 9).every(Number.isNaN), 'nothing written before the offset');
      }
    },
  );

  t.test('wrong arguments throw a TypeError or RangeError naming the kernel, and write nothing', async (t) => {
    const rgb = new Uint8Array(4 * 4 * 3),
      out = new Float32Array(3 * 8 * 8).fill(NaN);
    t.throws(() => native.letterbox(rgb, 4, 4, 8, 8, 8, 8, 0, 0, new Float64Array(192) as unknown as Float32Array), {
      name: 'TypeError',
      message: /edgevis-pixels letterbox: out must be a Float32Array/,
    });
    t.throws(() => native.letterbox(rgb, 5, 4, 8, 8, 8, 8, 0, 0, out), { name: 'RangeError', message: /rgb length/ });
    t.throws(() => native.letterbox(rgb, 4, 4, 8, 8, 8, 8, 1, 0, out), {
      name: 'RangeError',
      message: /sizes out of range/,
    });
    t.throws(() => native.letterbox(rgb, 4, 4, 8, 8, 8, 8, 0, 0, new Float32Array(10)), {
      name: 'RangeError',
      message: /out length/,
    });
    t.throws(() => native.cropResizeNormalise(rgb, 4, 4, 0, 0, 2, 2, 8, 8, out, 1), {
      name: 'RangeError',
      message: /does not fit/,
    });
    t.throws(() => native.cropResizeNormalise(rgb, 4, 4, NaN, 0, 2, 2, 2, 2, out, 0), {
      name: 'RangeError',
      message: /NaN/,
    });
    t.throws(() => (native.cropResizeNormalise as (...a: unknown[]) => void)(rgb, 4, 4, 0, 0), {
      name: 'RangeError',
      message: /expected 11 arguments/,
    });
    t.throws(() => native.cropResizeNormalise([1, 2, 3] as unknown as Uint8Array, 1, 1, 0, 0, 1, 1, 1, 1, out, 0), {
      name: 'TypeError',
      message: /rgb must be a Uint8Array/,
    });
    t.throws(() => native.letterbox(rgb, 4.5, 4, 8, 8, 8, 8, 0, 0, out), {
      name: 'RangeError',
      message: /argument 1 must be an integer/,
    });
    t.throws(() => native.cropResizeNormalise(rgb, 4, 4, 0, 0, '2' as unknown as number, 2, 2, 2, out, 0), {
      name: 'TypeError',
      message: /argument 5 must be a number/,
    });
    t.ok(out.every(Number.isNaN), 'out untouched');
  });
}
