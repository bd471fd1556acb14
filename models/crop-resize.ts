/** ImageNet channel means and standard deviations (RGB, on 0..1 values), as torchvision normalises. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/**
 * Crops box [x1, y1, x2, y2] (frame pixels, clamped to the frame) from packed RGB (HWC, row-major)
 * and resizes it to `outWidth × outHeight` with bilinear sampling (pixel centres aligned, as
 * OpenCV `INTER_LINEAR`), writing normalised planar CHW floats ((v/255 − mean) / std) into `out`
 * at `offset`. This is the preprocessing torchreid models (OSNet) expect.
 */
export function cropResizeNormalise(
  rgb: Uint8Array, width: number, height: number, box: ArrayLike<number>, boxOffset: number,
  outWidth: number, outHeight: number, out: Float32Array, offset: number,
): void {
  const x1 = Math.min(Math.max(box[boxOffset], 0), width - 1), y1 = Math.min(Math.max(box[boxOffset + 1], 0), height - 1);
  const x2 = Math.min(Math.max(box[boxOffset + 2], x1 + 1), width), y2 = Math.min(Math.max(box[boxOffset + 3], y1 + 1), height);
  const sx = (x2 - x1) / outWidth, sy = (y2 - y1) / outHeight;
  const plane = outWidth * outHeight;
  const s0 = 1 / (255 * IMAGENET_STD[0]), s1 = 1 / (255 * IMAGENET_STD[1]), s2 = 1 / (255 * IMAGENET_STD[2]);
  const b0 = IMAGENET_MEAN[0] / IMAGENET_STD[0], b1 = IMAGENET_MEAN[1] / IMAGENET_STD[1], b2 = IMAGENET_MEAN[2] / IMAGENET_STD[2];
  // Horizontal taps once per crop (the same for every row); the inner loop is then lerps only.
  // Weights stay in doubles so the result is the same as sampling each pixel on its own.
  const { left, right, weight } = columnTaps(outWidth);
  for (let ox = 0; ox < outWidth; ox++) {
    const fx = Math.min(Math.max(x1 + (ox + 0.5) * sx - 0.5, 0), width - 1);
    const x0 = Math.floor(fx);
    left[ox] = 3 * x0; right[ox] = 3 * Math.min(x0 + 1, width - 1); weight[ox] = fx - x0;
  }
  for (let oy = 0; oy < outHeight; oy++) {
    const fy = Math.min(Math.max(y1 + (oy + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy), wy = fy - y0;
    const top = 3 * y0 * width, bottom = 3 * Math.min(y0 + 1, height - 1) * width;
    const row = offset + oy * outWidth;
    for (let ox = 0; ox < outWidth; ox++) {
      const p00 = top + left[ox], p01 = top + right[ox], p10 = bottom + left[ox], p11 = bottom + right[ox];
      const wx = weight[ox], o = row + ox;
      let t = rgb[p00] + (rgb[p01] - rgb[p00]) * wx, b = rgb[p10] + (rgb[p11] - rgb[p10]) * wx;
      out[o] = (t + (b - t) * wy) * s0 - b0;
      t = rgb[p00 + 1] + (rgb[p01 + 1] - rgb[p00 + 1]) * wx; b = rgb[p10 + 1] + (rgb[p11 + 1] - rgb[p10 + 1]) * wx;
      out[o + plane] = (t + (b - t) * wy) * s1 - b1;
      t = rgb[p00 + 2] + (rgb[p01 + 2] - rgb[p00 + 2]) * wx; b = rgb[p10 + 2] + (rgb[p11 + 2] - rgb[p10 + 2]) * wx;
      out[o + 2 * plane] = (t + (b - t) * wy) * s2 - b2;
    }
  }
}

/** Scratch tap tables, reused across crops of the same output width (one thread runs at a time). */
let taps = { left: new Int32Array(0), right: new Int32Array(0), weight: new Float64Array(0) };
function columnTaps(n: number): typeof taps {
  if (taps.left.length !== n) taps = { left: new Int32Array(n), right: new Int32Array(n), weight: new Float64Array(n) };
  return taps;
}
