/**
 * A binary instance mask stored inside its bounding rectangle, in frame pixels.
 *
 * `data[y * width + x]` is 1 where frame pixel `(left + x, top + y)` belongs to the
 * instance and 0 elsewhere. Storing only the box region keeps a person's mask a few
 * kilobytes instead of a full frame; COCO RLE for the whole frame is made at publish time.
 */
export interface InstanceMask {
  /** Column of the first mask column in the frame (pixels, integer). */
  readonly left: number;
  /** Row of the first mask row in the frame (pixels, integer). */
  readonly top: number;
  /** Mask width in pixels. */
  readonly width: number;
  /** Mask height in pixels. */
  readonly height: number;
  /** Row-major 0/1 values, length `width * height`. */
  readonly data: Uint8Array;
}

/** Number of foreground pixels of a mask. */
export function maskArea(mask: InstanceMask): number {
  let area = 0;
  const d = mask.data;
  for (let i = 0; i < d.length; i++) area += d[i];
  return area;
}

/**
 * Intersection over union of two masks in the same frame (pixel counts).
 * Returns 0 when both are empty.
 */
export function maskIoU(a: InstanceMask, b: InstanceMask): number {
  const x0 = Math.max(a.left, b.left);
  const y0 = Math.max(a.top, b.top);
  const x1 = Math.min(a.left + a.width, b.left + b.width);
  const y1 = Math.min(a.top + a.height, b.top + b.height);
  let inter = 0;
  for (let y = y0; y < y1; y++) {
    const ra = (y - a.top) * a.width - a.left;
    const rb = (y - b.top) * b.width - b.left;
    for (let x = x0; x < x1; x++) inter += a.data[ra + x] & b.data[rb + x];
  }
  const union = maskArea(a) + maskArea(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Expands a box-local mask to a full `frameWidth × frameHeight` row-major 0/1 array. */
export function maskToFullFrame(mask: InstanceMask, frameWidth: number, frameHeight: number): Uint8Array {
  const out = new Uint8Array(frameWidth * frameHeight);
  for (let y = 0; y < mask.height; y++) {
    const fy = mask.top + y;
    if (fy < 0 || fy >= frameHeight) continue;
    for (let x = 0; x < mask.width; x++) {
      const fx = mask.left + x;
      if (fx < 0 || fx >= frameWidth) continue;
      out[fy * frameWidth + fx] = mask.data[y * mask.width + x];
    }
  }
  return out;
}
