/**
 * Overlap of two masks given as run lengths over the same pixel order (COCO RLE counts, starting
 * with a run of zeros), computed by walking both run lists together like pycocotools `rleIou`,
 * without decoding.
 * @returns pixels in both, in either, and in `a`
 * @throws Error when the run lists cover different pixel counts
 */
export function runLengthOverlap(
  a: readonly number[],
  b: readonly number[],
): { intersection: number; union: number; areaA: number } {
  const total = (r: readonly number[]) => r.reduce((s, v) => s + v, 0);
  if (total(a) !== total(b))
    throw new Error(`masks of different sizes cannot be compared (${total(a)} vs ${total(b)} pixels)`);
  let ia = 0,
    ib = 0,
    ra = a[0] ?? 0,
    rb = b[0] ?? 0;
  let intersection = 0,
    union = 0,
    areaA = 0;
  for (;;) {
    while (ra === 0 && ia < a.length - 1) ra = a[++ia];
    while (rb === 0 && ib < b.length - 1) rb = b[++ib];
    if (ra === 0 || rb === 0) break;
    const step = Math.min(ra, rb);
    const va = ia % 2,
      vb = ib % 2;
    if (va & vb) intersection += step;
    if (va | vb) union += step;
    if (va) areaA += step;
    ra -= step;
    rb -= step;
  }
  return { intersection, union, areaA };
}

/** Mask IoU of two run-length masks (see {@link runLengthOverlap}); 0 when both are empty. */
export function runLengthIoU(a: readonly number[], b: readonly number[]): number {
  const { intersection, union } = runLengthOverlap(a, b);
  return union > 0 ? intersection / union : 0;
}

/** Pixels set in both and in either of two row-major 0/1 masks of equal length. */
export function binaryMaskOverlap(a: ArrayLike<number>, b: ArrayLike<number>): { intersection: number; union: number } {
  let intersection = 0,
    union = 0;
  for (let k = 0; k < a.length; k++) {
    const x = a[k] ? 1 : 0,
      y = b[k] ? 1 : 0;
    intersection += x & y;
    union += x | y;
  }
  return { intersection, union };
}

/** IoU of two row-major 0/1 masks of equal length; 0 when both are empty. */
export function binaryMaskIoU(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { intersection, union } = binaryMaskOverlap(a, b);
  return union > 0 ? intersection / union : 0;
}
