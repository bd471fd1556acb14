import { stringToRunLengths } from '../models/coco-rle.js';
import { type FrameRange, framesOf } from './frame-range.js';
import type { MotsRow } from './formats/mots.js';
import { rowsByFrame } from './formats/mot-challenge.js';
import { runLengthIoU, runLengthOverlap } from './mask-iou.js';
import { assignMaxScore, EPS, toScoredSequence, type RawScoredFrame, type ScoredSequence } from './scored-sequence.js';

/** The MOTS / KITTI class id of ignore regions. */
export const MOTS_IGNORE_CLASS = 10;

/** Pixels of `a` (runs) that lie inside `b` (runs) divided by the area of `a` (intersection over area). */
function intersectionOverArea(a: readonly number[], b: readonly number[]): number {
  const { intersection, areaA } = runLengthOverlap(a, b);
  return areaA > 0 ? intersection / areaA : 0;
}

/**
 * Prepares a MOTS sequence for scoring with mask IoU (TrackEval `MOTSChallenge`): ground truth
 * of class 10 forms ignore regions; a prediction not matched (IoU ≥ 0.5) to a ground-truth mask
 * and lying more than half inside an ignore region is removed. Ground truth and predictions of
 * different classes never match (similarity 0), so all classes are scored together, class-aware.
 */
export function motsSequence(
  name: string,
  gt: readonly MotsRow[],
  pred: readonly MotsRow[],
  range: FrameRange,
): ScoredSequence {
  const gtBy = rowsByFrame(gt),
    predBy = rowsByFrame(pred);
  const frames: RawScoredFrame[] = framesOf(range).map((frame) => {
    const all = gtBy.get(frame) ?? [];
    const g = all.filter((r) => r.classId !== MOTS_IGNORE_CLASS);
    const ignore = all.filter((r) => r.classId === MOTS_IGNORE_CLASS).map((r) => stringToRunLengths(r.rle.counts));
    let p = predBy.get(frame) ?? [];
    const gRuns = g.map((r) => stringToRunLengths(r.rle.counts));
    let pRuns = p.map((r) => stringToRunLengths(r.rle.counts));
    let sim = g.map((gr, i) => p.map((pr, j) => (gr.classId === pr.classId ? runLengthIoU(gRuns[i], pRuns[j]) : 0)));
    if (ignore.length && p.length) {
      const matched = new Set(
        g.length
          ? assignMaxScore(sim.map((row) => row.map((v) => (v < 0.5 - EPS ? -10000 : v))))
              .filter(([i, j]) => sim[i][j] >= 0.5 - EPS)
              .map(([, j]) => j)
          : [],
      );
      const drop = new Set(
        p
          .map((_, j) => j)
          .filter((j) => !matched.has(j) && ignore.some((ig) => intersectionOverArea(pRuns[j], ig) > 0.5 + EPS)),
      );
      if (drop.size) {
        p = p.filter((_, j) => !drop.has(j));
        pRuns = pRuns.filter((_, j) => !drop.has(j));
        sim = sim.map((row) => row.filter((_, j) => !drop.has(j)));
      }
    }
    return { gtIds: g.map((r) => r.id), predIds: p.map((r) => r.id), similarity: sim };
  });
  return toScoredSequence(name, frames);
}

/**
 * One frame of label maps (row-major, 0 = background): the similarity of every ground-truth
 * label to every predicted label is their mask IoU, from one pass over the pixels.
 */
export function labelMapFrame(gt: ArrayLike<number>, pred: ArrayLike<number>): RawScoredFrame {
  const inter = new Map<number, number>(),
    gtArea = new Map<number, number>(),
    predArea = new Map<number, number>();
  for (let k = 0; k < gt.length; k++) {
    const g = gt[k],
      p = pred[k];
    if (g) gtArea.set(g, (gtArea.get(g) ?? 0) + 1);
    if (p) predArea.set(p, (predArea.get(p) ?? 0) + 1);
    if (g && p) {
      const key = g * 65536 + p;
      inter.set(key, (inter.get(key) ?? 0) + 1);
    }
  }
  const gtIds = [...gtArea.keys()].sort((a, b) => a - b),
    predIds = [...predArea.keys()].sort((a, b) => a - b);
  const similarity = gtIds.map((g) =>
    predIds.map((p) => {
      const i = inter.get(g * 65536 + p) ?? 0;
      return i / (gtArea.get(g)! + predArea.get(p)! - i);
    }),
  );
  return { gtIds, predIds, similarity };
}
