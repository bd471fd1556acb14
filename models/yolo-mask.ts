import type { InstanceMask } from './instance-mask.js';
import type { Letterbox } from './letterbox.js';

/**
 * Prototype masks of a YOLACT-style head (Bolya et al. 2019, used by YOLOv5/8/11-seg):
 * `data[k * height * width + y * width + x]`, k < `count` prototypes, at `height × width`
 * (input size / 4 for Ultralytics exports).
 */
export interface Prototypes {
  readonly data: Float32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

/**
 * Assembles one instance mask: logit(p) = coeffs · protos(p), mask = sigmoid(logit) > 0.5,
 * i.e. logit > 0; evaluated by bilinear sampling of the prototype logits at each frame pixel
 * inside the box (Ultralytics upsamples, crops to the box, then undoes the letterbox; sampling
 * each frame pixel directly is the same without the intermediate full-size image).
 *
 * @param coeffs the instance's mask coefficients (length protos.count)
 * @param protos prototype tensor
 * @param box x1, y1, x2, y2 in frame pixels; the mask is cropped to it
 * @param lb letterbox that maps frame pixels to model input pixels
 * @param threshold probability threshold (0.5 = Ultralytics default)
 */
export function assembleMask(
  coeffs: ArrayLike<number>,
  protos: Prototypes,
  box: readonly [number, number, number, number],
  lb: Letterbox,
  threshold = 0.5,
): InstanceMask {
  const left = Math.max(0, Math.floor(box[0]));
  const top = Math.max(0, Math.floor(box[1]));
  const right = Math.min(lb.frameWidth, Math.ceil(box[2]));
  const bottom = Math.min(lb.frameHeight, Math.ceil(box[3]));
  const width = Math.max(0, right - left),
    height = Math.max(0, bottom - top);
  const data = new Uint8Array(width * height);
  if (width === 0 || height === 0) return { left, top, width, height, data };

  // Frame pixel centre -> prototype pixel coordinates.
  const pxPerInputX = protos.width / lb.inputWidth,
    pxPerInputY = protos.height / lb.inputHeight;
  const toProtoX = (fx: number) => ((fx + 0.5) * lb.scale + lb.padX) * pxPerInputX - 0.5;
  const toProtoY = (fy: number) => ((fy + 0.5) * lb.scale + lb.padY) * pxPerInputY - 0.5;

  // Logits only over the prototype window that covers the box (+1 for bilinear taps).
  const px0 = Math.max(0, Math.floor(toProtoX(left)));
  const px1 = Math.min(protos.width - 1, Math.ceil(toProtoX(right - 1)) + 1);
  const py0 = Math.max(0, Math.floor(toProtoY(top)));
  const py1 = Math.min(protos.height - 1, Math.ceil(toProtoY(bottom - 1)) + 1);
  const ww = px1 - px0 + 1,
    wh = py1 - py0 + 1;
  const logits = new Float32Array(ww * wh);
  const plane = protos.width * protos.height;
  for (let k = 0; k < protos.count; k++) {
    const c = coeffs[k];
    const base = k * plane;
    for (let y = 0; y < wh; y++) {
      const src = base + (py0 + y) * protos.width + px0;
      const dst = y * ww;
      for (let x = 0; x < ww; x++) logits[dst + x] += c * protos.data[src + x];
    }
  }
  const logitThreshold = Math.log(threshold / (1 - threshold));
  // Horizontal taps once per column (the same numbers for every row).
  const x0s = new Int32Array(width),
    x1s = new Int32Array(width),
    wxs = new Float64Array(width);
  for (let x = 0; x < width; x++) {
    const sx = Math.min(Math.max(toProtoX(left + x) - px0, 0), ww - 1);
    x0s[x] = Math.floor(sx);
    x1s[x] = Math.min(x0s[x] + 1, ww - 1);
    wxs[x] = sx - x0s[x];
  }
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max(toProtoY(top + y) - py0, 0), wh - 1);
    const y0 = Math.floor(sy),
      y1 = Math.min(y0 + 1, wh - 1),
      wy = sy - y0;
    for (let x = 0; x < width; x++) {
      const x0 = x0s[x],
        x1 = x1s[x],
        wx = wxs[x];
      const a = logits[y0 * ww + x0],
        b = logits[y0 * ww + x1];
      const c = logits[y1 * ww + x0],
        d = logits[y1 * ww + x1];
      const v = (a + (b - a) * wx) * (1 - wy) + (c + (d - c) * wx) * wy;
      data[y * width + x] = v > logitThreshold ? 1 : 0;
    }
  }
  return { left, top, width, height, data };
}
