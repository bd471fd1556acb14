import { nativePixels } from './native-pixels.js';

/**
 * Letterbox geometry: fit a frame into a fixed model input without distortion,
 * centred, padding the rest (Ultralytics `LetterBox`, pad value 114).
 *
 * Forward:  input = frame * scale + pad      (per axis, pixels)
 * Inverse:  frame = (input - pad) / scale
 */
export interface Letterbox {
  /** Frame size in pixels. */
  readonly frameWidth: number;
  readonly frameHeight: number;
  /** Model input size in pixels. */
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** Uniform scale from frame to input pixels. */
  readonly scale: number;
  /** Size of the resized image inside the input, pixels. */
  readonly resizedWidth: number;
  readonly resizedHeight: number;
  /** Left / top padding in input pixels (integers). */
  readonly padX: number;
  readonly padY: number;
}

/**
 * Computes the letterbox for a frame and a model input size, exactly as Ultralytics does
 * (`round(dw - 0.1)` for the left/top pad so odd padding puts the extra pixel right/bottom).
 * @throws Error if any size is not a positive integer.
 */
export function computeLetterbox(
  frameWidth: number,
  frameHeight: number,
  inputWidth: number,
  inputHeight: number,
): Letterbox {
  for (const [name, v] of Object.entries({ frameWidth, frameHeight, inputWidth, inputHeight })) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`letterbox: ${name} must be a positive integer, got ${v}`);
  }
  const scale = Math.min(inputWidth / frameWidth, inputHeight / frameHeight);
  const resizedWidth = Math.round(frameWidth * scale);
  const resizedHeight = Math.round(frameHeight * scale);
  const padX = Math.round((inputWidth - resizedWidth) / 2 - 0.1);
  const padY = Math.round((inputHeight - resizedHeight) / 2 - 0.1);
  return { frameWidth, frameHeight, inputWidth, inputHeight, scale, resizedWidth, resizedHeight, padX, padY };
}

/** Maps an x coordinate from model input pixels to frame pixels. */
export function inputToFrameX(lb: Letterbox, x: number): number {
  return (x - lb.padX) / lb.scale;
}

/** Maps a y coordinate from model input pixels to frame pixels. */
export function inputToFrameY(lb: Letterbox, y: number): number {
  return (y - lb.padY) / lb.scale;
}

/**
 * Resizes packed RGB (HWC, uint8) into a letterboxed planar float tensor (CHW, values /255),
 * with bilinear sampling at pixel centres (as OpenCV `INTER_LINEAR` for upscaling; for
 * downscaling it samples rather than area-averages, close enough for detection).
 *
 * @param rgb frame bytes, length frameWidth*frameHeight*3
 * @param out destination, length 3*inputHeight*inputWidth; padding is filled with 114/255
 * @throws Error if `rgb` or `out` has the wrong length
 * Runs the C kernel ({@link nativePixels}) when it is built, else {@link letterboxToTensorJs}: same values.
 */
export function letterboxToTensor(rgb: Uint8Array, lb: Letterbox, out: Float32Array): void {
  const { frameWidth: fw, frameHeight: fh, inputWidth: iw, inputHeight: ih } = lb;
  if (out.length !== 3 * iw * ih)
    throw new Error(`letterbox tensor must have ${3 * iw * ih} floats, got ${out.length}`);
  if (rgb.length !== fw * fh * 3) throw new Error(`frame must have ${fw * fh * 3} bytes, got ${rgb.length}`);
  if (nativePixels)
    nativePixels.letterbox(rgb, fw, fh, iw, ih, lb.resizedWidth, lb.resizedHeight, lb.padX, lb.padY, out);
  else letterboxToTensorJs(rgb, lb, out);
}

/**
 * The JavaScript kernel of {@link letterboxToTensor} (no checks): what runs without the native
 * addon, and the reference the C kernel (models/native/pixels.c) must equal bit for bit.
 */
export function letterboxToTensorJs(rgb: Uint8Array, lb: Letterbox, out: Float32Array): void {
  const { frameWidth: fw, frameHeight: fh, inputWidth: iw, inputHeight: ih } = lb;
  const plane = iw * ih;
  // Padding only: the resized area is written below.
  const pad = 114 / 255,
    right = lb.padX + lb.resizedWidth,
    bottom = lb.padY + lb.resizedHeight;
  for (let c = 0; c < 3; c++) {
    const p = c * plane;
    out.fill(pad, p, p + lb.padY * iw);
    out.fill(pad, p + bottom * iw, p + plane);
    if (lb.padX > 0 || right < iw) {
      for (let y = lb.padY; y < bottom; y++) {
        out.fill(pad, p + y * iw, p + y * iw + lb.padX);
        out.fill(pad, p + y * iw + right, p + (y + 1) * iw);
      }
    }
  }
  const sx = fw / lb.resizedWidth;
  const sy = fh / lb.resizedHeight;
  const inv = 1 / 255;
  // Precompute horizontal taps once per column: the inner loop is then two lerps.
  const x0s = new Int32Array(lb.resizedWidth);
  const x1s = new Int32Array(lb.resizedWidth);
  const wxs = new Float32Array(lb.resizedWidth);
  for (let x = 0; x < lb.resizedWidth; x++) {
    const src = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), fw - 1);
    const x0 = Math.floor(src);
    x0s[x] = x0 * 3;
    x1s[x] = Math.min(x0 + 1, fw - 1) * 3;
    wxs[x] = src - x0;
  }
  for (let y = 0; y < lb.resizedHeight; y++) {
    const srcY = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), fh - 1);
    const y0 = Math.floor(srcY);
    const wy = srcY - y0;
    const row0 = y0 * fw * 3;
    const row1 = Math.min(y0 + 1, fh - 1) * fw * 3;
    const dstRow = (y + lb.padY) * iw + lb.padX;
    for (let x = 0; x < lb.resizedWidth; x++) {
      const a = row0 + x0s[x],
        b = row0 + x1s[x],
        c = row1 + x0s[x],
        d = row1 + x1s[x];
      const wx = wxs[x];
      const dst = dstRow + x;
      let top = rgb[a] + (rgb[b] - rgb[a]) * wx,
        bottom = rgb[c] + (rgb[d] - rgb[c]) * wx;
      out[dst] = (top + (bottom - top) * wy) * inv;
      top = rgb[a + 1] + (rgb[b + 1] - rgb[a + 1]) * wx;
      bottom = rgb[c + 1] + (rgb[d + 1] - rgb[c + 1]) * wx;
      out[plane + dst] = (top + (bottom - top) * wy) * inv;
      top = rgb[a + 2] + (rgb[b + 2] - rgb[a + 2]) * wx;
      bottom = rgb[c + 2] + (rgb[d + 2] - rgb[c + 2]) * wx;
      out[2 * plane + dst] = (top + (bottom - top) * wy) * inv;
    }
  }
}
