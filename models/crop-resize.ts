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
  const scale = [1 / (255 * IMAGENET_STD[0]), 1 / (255 * IMAGENET_STD[1]), 1 / (255 * IMAGENET_STD[2])];
  const bias = [IMAGENET_MEAN[0] / IMAGENET_STD[0], IMAGENET_MEAN[1] / IMAGENET_STD[1], IMAGENET_MEAN[2] / IMAGENET_STD[2]];
  for (let oy = 0; oy < outHeight; oy++) {
    const fy = Math.min(Math.max(y1 + (oy + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy), yb = Math.min(y0 + 1, height - 1), wy = fy - y0;
    for (let ox = 0; ox < outWidth; ox++) {
      const fx = Math.min(Math.max(x1 + (ox + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx), xb = Math.min(x0 + 1, width - 1), wx = fx - x0;
      const p00 = 3 * (y0 * width + x0), p01 = 3 * (y0 * width + xb), p10 = 3 * (yb * width + x0), p11 = 3 * (yb * width + xb);
      const o = offset + oy * outWidth + ox;
      for (let c = 0; c < 3; c++) {
        const top = rgb[p00 + c] + (rgb[p01 + c] - rgb[p00 + c]) * wx;
        const bottom = rgb[p10 + c] + (rgb[p11 + c] - rgb[p10 + c]) * wx;
        out[o + c * plane] = (top + (bottom - top) * wy) * scale[c] - bias[c];
      }
    }
  }
}
