// The OSNet crop kernel against a direct per-pixel bilinear sampler: the separable kernel (rows
// interpolated once, reused by the output rows that sample them) must give the same numbers.
import t from 'tap';
import { cropResizeNormalise, cropResizeNormaliseJs, IMAGENET_MEAN, IMAGENET_STD } from '../models/crop-resize.js';

/** Bilinear sampling of one output pixel from its four neighbours (OpenCV INTER_LINEAR centres), normalised. */
function reference(
  rgb: Uint8Array,
  width: number,
  height: number,
  box: readonly number[],
  outWidth: number,
  outHeight: number,
): Float32Array {
  const x1 = Math.min(Math.max(box[0], 0), width - 1),
    y1 = Math.min(Math.max(box[1], 0), height - 1);
  const x2 = Math.min(Math.max(box[2], x1 + 1), width),
    y2 = Math.min(Math.max(box[3], y1 + 1), height);
  const sx = (x2 - x1) / outWidth,
    sy = (y2 - y1) / outHeight,
    out = new Float32Array(3 * outWidth * outHeight);
  for (let oy = 0; oy < outHeight; oy++) {
    const fy = Math.min(Math.max(y1 + (oy + 0.5) * sy - 0.5, 0), height - 1),
      y0 = Math.floor(fy),
      wy = fy - y0,
      yb = Math.min(y0 + 1, height - 1);
    for (let ox = 0; ox < outWidth; ox++) {
      const fx = Math.min(Math.max(x1 + (ox + 0.5) * sx - 0.5, 0), width - 1),
        x0 = Math.floor(fx),
        wx = fx - x0,
        xr = Math.min(x0 + 1, width - 1);
      for (let c = 0; c < 3; c++) {
        const at = (x: number, y: number) => rgb[3 * (y * width + x) + c];
        const top = at(x0, y0) + (at(xr, y0) - at(x0, y0)) * wx,
          bottom = at(x0, yb) + (at(xr, yb) - at(x0, yb)) * wx;
        out[c * outWidth * outHeight + oy * outWidth + ox] =
          (top + (bottom - top) * wy) / (255 * IMAGENET_STD[c]) - IMAGENET_MEAN[c] / IMAGENET_STD[c];
      }
    }
  }
  return out;
}

const width = 97,
  height = 61;
const rgb = new Uint8Array(width * height * 3).map((_, i) => ((i * 2654435761) >>> 13) & 255);

for (const [name, kernel] of [
  ['the kernel in use (C when built)', cropResizeNormalise],
  ['the JavaScript kernel', cropResizeNormaliseJs],
] as const)
  t.test(
    `${name}: same values as sampling each pixel directly: upscaled, downscaled, fractional and partly outside boxes`,
    async (t) => {
      const boxes = [
        [10.3, 20.7, 30.2, 55.9],
        [0, 0, 97, 61],
        [40, 5, 44, 9],
        [-20, -30, 130, 90],
        [90.5, 58.25, 120, 70],
        [3, 3, 3, 3],
      ];
      const outWidth = 16,
        outHeight = 32,
        size = 3 * outWidth * outHeight;
      const flat = new Float32Array(boxes.flat());
      const out = new Float32Array(boxes.length * size + 5).fill(NaN);
      boxes.forEach((_, i) => {
        kernel(rgb, width, height, flat, 4 * i, outWidth, outHeight, out, 5 + i * size);
      });
      // Detections keep boxes as float32: the reference samples the same coordinates.
      boxes.forEach((box, i) => {
        t.same(
          out.subarray(5 + i * size, 5 + (i + 1) * size),
          reference(rgb, width, height, box.map(Math.fround), outWidth, outHeight),
          `box [${box}]`,
        );
      });
      t.ok(out.subarray(0, 5).every(Number.isNaN), 'nothing written before the offset');
    },
  );

t.test('a uniform frame gives the ImageNet-normalised colour everywhere', async (t) => {
  const grey = new Uint8Array(width * height * 3);
  for (let i = 0; i < grey.length; i += 3) {
    grey[i] = 200;
    grey[i + 1] = 100;
    grey[i + 2] = 50;
  }
  const out = new Float32Array(3 * 8 * 4);
  cropResizeNormalise(grey, width, height, [5, 5, 50, 40], 0, 4, 8, out, 0);
  [200, 100, 50].forEach((v, c) => {
    const want = Math.fround((v / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c]);
    t.ok(
      out.subarray(c * 32, (c + 1) * 32).every((x) => Math.abs(x - want) < 1e-5),
      `channel ${c} = ${want.toFixed(4)}`,
    );
  });
});
