/**
 * DAVIS region similarity J and contour accuracy F (Perazzi et al., "A Benchmark Dataset and
 * Evaluation Methodology for Video Object Segmentation", CVPR 2016), as the official
 * davis2017-evaluation `metrics.py`: J is the mask IoU (1 when both masks are empty); F is the
 * F-measure of boundary precision and recall, where boundary pixels (`seg2bmap`) match within a
 * disk of radius ⌈0.008 · image diagonal⌉ pixels.
 */
import { binaryMaskOverlap } from './mask-iou.js';

/** Region similarity J of two row-major 0/1 masks: their IoU, but 1 when both are empty (DAVIS `db_eval_iou`). */
export function regionJ(gt: ArrayLike<number>, pred: ArrayLike<number>): number {
  const { intersection, union } = binaryMaskOverlap(gt, pred);
  return union === 0 ? 1 : intersection / union;
}

/**
 * Boundary map of a mask (DAVIS `_seg2bmap`): a pixel is on the boundary when it differs from
 * its right, lower or lower-right neighbour (last row/column compare within the image only).
 */
export function boundaryMap(mask: ArrayLike<number>, width: number, height: number): Uint8Array {
  const b = new Uint8Array(width * height);
  const at = (x: number, y: number) => (x < width && y < height && mask[y * width + x] ? 1 : 0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = at(x, y),
        e = at(x + 1, y),
        so = at(x, y + 1),
        se = at(x + 1, y + 1);
      let v: number;
      if (y === height - 1 && x === width - 1) v = 0;
      else if (y === height - 1) v = s ^ e;
      else if (x === width - 1) v = s ^ so;
      else v = (s ^ e) | (s ^ so) | (s ^ se);
      b[y * width + x] = v;
    }
  }
  return b;
}

/** Disk offsets of radius r (skimage `disk`: x² + y² ≤ r²). */
function diskOffsets(r: number): [number, number][] {
  const out: [number, number][] = [];
  for (let dy = -r; dy <= r; dy++) for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= r * r) out.push([dx, dy]);
  return out;
}

/** Binary dilation of a boundary map by a disk (cv2.dilate with skimage's disk kernel). */
function dilate(map: Uint8Array, width: number, height: number, offsets: readonly [number, number][]): Uint8Array {
  const out = new Uint8Array(map.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (!map[y * width + x]) continue;
      for (const [dx, dy] of offsets) {
        const u = x + dx,
          v = y + dy;
        if (u >= 0 && v >= 0 && u < width && v < height) out[v * width + u] = 1;
      }
    }
  }
  return out;
}

/** Boundary tolerance in pixels for an image: ⌈0.008 · √(w² + h²)⌉ (8 px at 854×480). */
export function boundaryTolerancePx(width: number, height: number, boundTh = 0.008): number {
  return boundTh >= 1 ? boundTh : Math.ceil(boundTh * Math.hypot(width, height));
}

/** Contour accuracy F of two row-major 0/1 masks (see the module comment for edge cases). */
export function boundaryF(gt: ArrayLike<number>, pred: ArrayLike<number>, width: number, height: number): number {
  const offsets = diskOffsets(boundaryTolerancePx(width, height));
  const fgB = boundaryMap(pred, width, height),
    gtB = boundaryMap(gt, width, height);
  const fgDil = dilate(fgB, width, height, offsets),
    gtDil = dilate(gtB, width, height, offsets);
  let nFg = 0,
    nGt = 0,
    fgMatch = 0,
    gtMatch = 0;
  for (let k = 0; k < fgB.length; k++) {
    nFg += fgB[k];
    nGt += gtB[k];
    fgMatch += fgB[k] & gtDil[k];
    gtMatch += gtB[k] & fgDil[k];
  }
  let precision: number, recall: number;
  if (nFg === 0 && nGt > 0) {
    precision = 1;
    recall = 0;
  } else if (nFg > 0 && nGt === 0) {
    precision = 0;
    recall = 1;
  } else if (nFg === 0 && nGt === 0) {
    precision = 1;
    recall = 1;
  } else {
    precision = fgMatch / nFg;
    recall = gtMatch / nGt;
  }
  return precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
}

/** Mean, recall (fraction of frames > 0.5) and decay (first quarter minus last quarter) of per-frame values. */
export interface DavisStatistics {
  readonly mean: number;
  readonly recall: number;
  readonly decay: number;
}

/** DAVIS `db_statistics` over one object's per-frame J or F values. */
export function davisStatistics(values: readonly number[]): DavisStatistics {
  const n = values.length;
  if (n === 0) return { mean: NaN, recall: NaN, decay: NaN };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const recall = values.filter((v) => v > 0.5).length / n;
  // ids = round(linspace(1, n, 5) + 1e-10) - 1, bins [ids[i], ids[i+1]] inclusive
  const ids = Array.from({ length: 5 }, (_, i) => Math.round(1 + ((n - 1) * i) / 4 + 1e-10) - 1);
  const binMean = (i: number) => {
    const bin = values.slice(ids[i], ids[i + 1] + 1);
    return bin.reduce((s, v) => s + v, 0) / bin.length;
  };
  return { mean, recall, decay: binMean(0) - binMean(3) };
}
