/**
 * Axis-aligned box helpers. Boxes are x1, y1, x2, y2 in pixels, stored flat in
 * Float32Array / number arrays with stride 4.
 */

/** IoU of box i of `a` and box j of `b` (flat x1,y1,x2,y2 arrays). 0 when both are empty. */
export function boxIoU(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number): number {
  const ax1 = a[4 * i],
    ay1 = a[4 * i + 1],
    ax2 = a[4 * i + 2],
    ay2 = a[4 * i + 3];
  const bx1 = b[4 * j],
    by1 = b[4 * j + 1],
    bx2 = b[4 * j + 2],
    by2 = b[4 * j + 3];
  const iw = Math.min(ax2, bx2) - Math.max(ax1, bx1);
  const ih = Math.min(ay2, by2) - Math.max(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Non-maximum suppression per class (boxes of different classes never suppress each other).
 * Greedy, highest score first (Neubeck & Van Gool 2006; as torchvision `batched_nms`).
 *
 * @param boxes flat x1,y1,x2,y2 (stride 4), any pixel space
 * @param scores one score per box
 * @param classIds one class per box
 * @param iouThreshold suppress a box whose IoU with a kept box of its class exceeds this (0..1)
 * @param maxKeep stop after this many kept boxes
 * @returns indices of kept boxes, by descending score (ties: lower index first)
 */
export function nmsPerClass(
  boxes: ArrayLike<number>,
  scores: ArrayLike<number>,
  classIds: ArrayLike<number>,
  iouThreshold: number,
  maxKeep = Infinity,
): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((p, q) => scores[q] - scores[p] || p - q);
  const kept: number[] = [];
  const suppressed = new Uint8Array(scores.length);
  for (const i of order) {
    if (suppressed[i]) continue;
    kept.push(i);
    if (kept.length >= maxKeep) break;
    for (const j of order) {
      if (suppressed[j] || j === i || classIds[j] !== classIds[i]) continue;
      if (boxIoU(boxes, i, boxes, j) > iouThreshold) suppressed[j] = 1;
    }
  }
  return kept;
}
