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
