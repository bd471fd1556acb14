import type { InstanceMask } from './instance-mask.js';

/**
 * A COCO run-length encoded mask, compressed-string form, as pycocotools `encode` returns
 * (and as YouTube-VIS / MOTS results carry it): `size` is [height, width]; runs are over the
 * column-major (Fortran-order) flattening of the mask, alternating 0s and 1s, starting with 0s.
 */
export interface CocoRle {
  readonly size: [number, number];
  readonly counts: string;
}

/**
 * Run lengths of a box-local mask placed in a `frameWidth × frameHeight` frame, column-major,
 * starting with a run of zeros (possibly of length 0). Parts of the mask outside the frame are dropped.
 */
export function maskToRunLengths(mask: InstanceMask, frameWidth: number, frameHeight: number): number[] {
  const counts: number[] = [];
  let current = 0; // value of the run being counted
  let runStart = 0; // column-major position where the current run began
  const x0 = Math.max(0, mask.left),
    x1 = Math.min(frameWidth, mask.left + mask.width);
  const y0 = Math.max(0, mask.top),
    y1 = Math.min(frameHeight, mask.top + mask.height);
  // Columns are contiguous in column-major order only when the mask spans the full height.
  const fullHeight = y0 === 0 && y1 === frameHeight;
  for (let x = x0; x < x1; x++) {
    const colBase = x * frameHeight;
    for (let y = y0; y < y1; y++) {
      const v = mask.data[(y - mask.top) * mask.width + (x - mask.left)];
      if (v !== current) {
        const pos = colBase + y;
        counts.push(pos - runStart);
        runStart = pos;
        current = v;
      }
    }
    // Pixels between this column's last mask row and the next column's first are 0: close a run of 1s.
    if (current === 1 && !(fullHeight && x + 1 < x1)) {
      const pos = colBase + y1;
      counts.push(pos - runStart);
      runStart = pos;
      current = 0;
    }
  }
  const total = frameWidth * frameHeight;
  counts.push(total - runStart);
  return counts;
}

/** Run lengths of a full-frame row-major 0/1 mask (height × width), column-major COCO order. */
export function fullMaskToRunLengths(data: Uint8Array, width: number, height: number): number[] {
  const counts: number[] = [];
  let current = 0,
    run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = data[y * width + x] ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push(run);
  return counts;
}

/**
 * Compresses run lengths to the COCO counts string (pycocotools `rleToString`):
 * each count (after the second, as a delta to the count two before) is written as
 * 5-bit groups, low first, with 0x20 as the continuation bit, offset by ASCII 48.
 */
export function runLengthsToString(counts: readonly number[]): string {
  let s = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5; // arithmetic shift: negatives end at -1
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      s += String.fromCharCode(c + 48);
    }
  }
  return s;
}

/**
 * Inverse of {@link runLengthsToString} (pycocotools `rleFrString`).
 * @throws Error on a character outside the COCO alphabet or a truncated count.
 */
export function stringToRunLengths(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0,
      k = 0,
      more = true,
      c = 0;
    while (more) {
      if (p >= s.length) throw new Error(`COCO RLE string truncated at character ${p}`);
      c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`COCO RLE string has invalid character '${s[p]}' at ${p}`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
    }
    if (c & 0x10) x -= 2 ** (5 * k); // sign-extend the last group
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}

/** Encodes a box-local mask as a COCO RLE of the whole `frameWidth × frameHeight` frame. */
export function encodeMaskRle(mask: InstanceMask, frameWidth: number, frameHeight: number): CocoRle {
  return {
    size: [frameHeight, frameWidth],
    counts: runLengthsToString(maskToRunLengths(mask, frameWidth, frameHeight)),
  };
}

/** Encodes a full-frame row-major 0/1 mask as COCO RLE. */
export function encodeFullMaskRle(data: Uint8Array, width: number, height: number): CocoRle {
  return { size: [height, width], counts: runLengthsToString(fullMaskToRunLengths(data, width, height)) };
}

/**
 * Decodes a COCO RLE into a row-major 0/1 mask of `size[0] × size[1]` (height × width).
 * @throws Error when the runs do not add up to height × width.
 */
export function decodeRle(rle: CocoRle): Uint8Array {
  const out = new Uint8Array(rle.size[0] * rle.size[1]);
  paintRle(rle, out, 1);
  return out;
}

/**
 * Sets `value` at every foreground pixel of a COCO RLE in a row-major `size[0] × size[1]`
 * (height × width) array, visiting only those pixels (the runs of 1s, column-major): label maps
 * are painted this way without decoding each mask over the whole frame.
 * @throws Error when the runs do not add up to height × width (nothing is painted then)
 */
export function paintRle(rle: CocoRle, out: Uint8Array | Uint16Array, value: number): void {
  const [height, width] = rle.size;
  const counts = stringToRunLengths(rle.counts);
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== width * height)
    throw new Error(`COCO RLE runs sum to ${total}, expected ${height}×${width}=${width * height}`);
  let pos = 0;
  for (let i = 0; i < counts.length; i++) {
    if (i % 2 === 1) {
      for (let k = pos, end = pos + counts[i]; k < end; k++) {
        const x = Math.floor(k / height);
        out[(k - x * height) * width + x] = value;
      }
    }
    pos += counts[i];
  }
}

/** Foreground pixel count of a COCO RLE (pycocotools `area`). */
export function rleArea(rle: CocoRle): number {
  const counts = stringToRunLengths(rle.counts);
  let a = 0;
  for (let i = 1; i < counts.length; i += 2) a += counts[i];
  return a;
}
