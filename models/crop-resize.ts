import { nativePixels } from './native-pixels.js';

/** ImageNet channel means and standard deviations (RGB, on 0..1 values), as torchvision normalises. */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406] as const;
export const IMAGENET_STD = [0.229, 0.224, 0.225] as const;

/**
 * Crops box [x1, y1, x2, y2] (frame pixels, clamped to the frame) from packed RGB (HWC, row-major)
 * and resizes it to `outWidth × outHeight` with bilinear sampling (pixel centres aligned, as
 * OpenCV `INTER_LINEAR`), writing normalised planar CHW floats ((v/255 − mean) / std) into `out`
 * at `offset`. This is the preprocessing torchreid models (OSNet) expect.
 *
 * Separable: each source row the crop samples is interpolated horizontally once (a person crop is
 * usually upscaled, so neighbouring output rows share source rows), then output rows are vertical
 * lerps of two such rows. The horizontal lerps are kept in doubles, so every output is the same
 * number as sampling that pixel's four neighbours directly.
 *
 * Runs the C kernel ({@link nativePixels}) when it is built, else {@link cropResizeNormaliseJs}:
 * same values. The C kernel throws RangeError when the crop does not fit `out` at `offset`.
 */
export function cropResizeNormalise(
  rgb: Uint8Array,
  width: number,
  height: number,
  box: ArrayLike<number>,
  boxOffset: number,
  outWidth: number,
  outHeight: number,
  out: Float32Array,
  offset: number,
): void {
  if (nativePixels) {
    nativePixels.cropResizeNormalise(
      rgb,
      width,
      height,
      box[boxOffset],
      box[boxOffset + 1],
      box[boxOffset + 2],
      box[boxOffset + 3],
      outWidth,
      outHeight,
      out,
      offset,
    );
  } else {
    cropResizeNormaliseJs(rgb, width, height, box, boxOffset, outWidth, outHeight, out, offset);
  }
}

/**
 * The JavaScript kernel of {@link cropResizeNormalise}: what runs without the native addon, and the
 * reference the C kernel (models/native/pixels.c) must equal bit for bit.
 */
export function cropResizeNormaliseJs(
  rgb: Uint8Array,
  width: number,
  height: number,
  box: ArrayLike<number>,
  boxOffset: number,
  outWidth: number,
  outHeight: number,
  out: Float32Array,
  offset: number,
): void {
  const x1 = Math.min(Math.max(box[boxOffset], 0), width - 1),
    y1 = Math.min(Math.max(box[boxOffset + 1], 0), height - 1);
  const x2 = Math.min(Math.max(box[boxOffset + 2], x1 + 1), width),
    y2 = Math.min(Math.max(box[boxOffset + 3], y1 + 1), height);
  const sx = (x2 - x1) / outWidth,
    sy = (y2 - y1) / outHeight;
  const plane = outWidth * outHeight;
  const s0 = 1 / (255 * IMAGENET_STD[0]),
    s1 = 1 / (255 * IMAGENET_STD[1]),
    s2 = 1 / (255 * IMAGENET_STD[2]);
  const b0 = IMAGENET_MEAN[0] / IMAGENET_STD[0],
    b1 = IMAGENET_MEAN[1] / IMAGENET_STD[1],
    b2 = IMAGENET_MEAN[2] / IMAGENET_STD[2];
  const scratch = scratchFor(outWidth, height);
  const { left, right, weight, rowOf, rows } = scratch;
  for (let ox = 0; ox < outWidth; ox++) {
    const fx = Math.min(Math.max(x1 + (ox + 0.5) * sx - 0.5, 0), width - 1);
    const x0 = Math.floor(fx);
    left[ox] = 3 * x0;
    right[ox] = 3 * Math.min(x0 + 1, width - 1);
    weight[ox] = fx - x0;
  }
  // Source row y → its slot in `rows` for this crop (-1: not interpolated yet).
  rowOf.fill(-1);
  let slots = 0;
  const interpolated = (y: number): number => {
    if (rowOf[y] >= 0) return rowOf[y];
    const slot = slots++,
      base = slot * 3 * outWidth,
      src = 3 * y * width;
    for (let ox = 0; ox < outWidth; ox++) {
      const l = src + left[ox],
        r = src + right[ox],
        wx = weight[ox],
        o = base + 3 * ox;
      rows[o] = rgb[l] + (rgb[r] - rgb[l]) * wx;
      rows[o + 1] = rgb[l + 1] + (rgb[r + 1] - rgb[l + 1]) * wx;
      rows[o + 2] = rgb[l + 2] + (rgb[r + 2] - rgb[l + 2]) * wx;
    }
    return (rowOf[y] = slot);
  };
  for (let oy = 0; oy < outHeight; oy++) {
    const fy = Math.min(Math.max(y1 + (oy + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy),
      wy = fy - y0;
    const top = 3 * outWidth * interpolated(y0),
      bottom = 3 * outWidth * interpolated(Math.min(y0 + 1, height - 1));
    const row = offset + oy * outWidth;
    for (let ox = 0; ox < outWidth; ox++) {
      const t = top + 3 * ox,
        b = bottom + 3 * ox,
        o = row + ox;
      out[o] = (rows[t] + (rows[b] - rows[t]) * wy) * s0 - b0;
      out[o + plane] = (rows[t + 1] + (rows[b + 1] - rows[t + 1]) * wy) * s1 - b1;
      out[o + 2 * plane] = (rows[t + 2] + (rows[b + 2] - rows[t + 2]) * wy) * s2 - b2;
    }
  }
}

/**
 * Scratch reused across crops (one thread runs at a time): horizontal taps per output column, the
 * slot of each source row, and the interpolated rows (at most 2 per output row, or every frame row).
 */
interface CropScratch {
  left: Int32Array;
  right: Int32Array;
  weight: Float64Array;
  rowOf: Int32Array;
  rows: Float64Array;
}
let scratch: CropScratch | null = null;
function scratchFor(outWidth: number, frameHeight: number): CropScratch {
  if (!scratch || scratch.left.length !== outWidth || scratch.rowOf.length < frameHeight) {
    scratch = {
      left: new Int32Array(outWidth),
      right: new Int32Array(outWidth),
      weight: new Float64Array(outWidth),
      rowOf: new Int32Array(frameHeight),
      rows: new Float64Array(frameHeight * 3 * outWidth),
    };
  }
  return scratch;
}
