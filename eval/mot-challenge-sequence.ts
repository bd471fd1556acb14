import { boxIoU } from '../models/box.js';
import { type FrameRange, framesOf } from './frame-range.js';
import { type MotRow, rowsByFrame } from './formats/mot-challenge.js';
import { assignMaxScore, EPS, toScoredSequence, type RawScoredFrame, type ScoredSequence } from './scored-sequence.js';

/**
 * Benchmark conventions for preprocessing (TrackEval `MotChallenge2DBox`):
 * - `MOT15`: no classes; zero-marked (conf 0) ground truth rows are dropped.
 * - `MOT17` (also MOT16/MOT20): predictions matched (IoU ≥ 0.5, Hungarian) to a ground-truth box of a
 *   distractor class are removed (they neither count as TP nor FP: an ignore region), then only
 *   pedestrian ground truth that is not zero-marked is kept.
 */
export type MotBenchmark = 'MOT15' | 'MOT17';

/** MOTChallenge class ids (MOT16 paper, Table 2). */
export const MOT_PEDESTRIAN = 1;
/** person_on_vehicle, static_person, distractor, reflection. */
export const MOT_DISTRACTOR_CLASSES: ReadonlySet<number> = new Set([2, 7, 8, 12]);

/** MOT17 layout when any ground-truth row carries a class id in column 8, MOT15 otherwise. */
export function detectBenchmark(gt: readonly MotRow[]): MotBenchmark {
  return gt.some((r) => r.classId > 0) ? 'MOT17' : 'MOT15';
}

/** xywh → flat x1,y1,x2,y2. */
function corners(rows: readonly MotRow[]): number[] {
  return rows.flatMap((r) => [r.left, r.top, r.left + r.width, r.top + r.height]);
}

/**
 * Prepares one MOTChallenge sequence for scoring: restricts ground truth and predictions to
 * `range` (rows outside it do not count at all), applies the benchmark's preprocessing, and
 * computes box IoU similarities.
 * @param range the scored frames (1-based, inclusive); every frame in it is a timestep
 */
export function motChallengeSequence(
  name: string,
  gt: readonly MotRow[],
  pred: readonly MotRow[],
  range: FrameRange,
  benchmark: MotBenchmark,
): ScoredSequence {
  const gtBy = rowsByFrame(gt),
    predBy = rowsByFrame(pred);
  const frames: RawScoredFrame[] = framesOf(range).map((frame) => {
    const g = gtBy.get(frame) ?? [];
    let p = predBy.get(frame) ?? [];
    const gBoxes = corners(g);
    let pBoxes = corners(p);
    let sim = g.map((_, i) => p.map((_, j) => boxIoU(gBoxes, i, pBoxes, j)));
    if (benchmark !== 'MOT15' && g.length > 0 && p.length > 0) {
      const matching = sim.map((row) => row.map((v) => (v < 0.5 - EPS ? 0 : v)));
      const remove = new Set(
        assignMaxScore(matching)
          .filter(([i, j]) => matching[i][j] > 0 + EPS && MOT_DISTRACTOR_CLASSES.has(g[i].classId))
          .map(([, j]) => j),
      );
      if (remove.size) {
        p = p.filter((_, j) => !remove.has(j));
        pBoxes = corners(p);
        sim = sim.map((row) => row.filter((_, j) => !remove.has(j)));
      }
    }
    const keep = g.map((r) => r.conf !== 0 && (benchmark === 'MOT15' || r.classId === MOT_PEDESTRIAN));
    return {
      gtIds: g.filter((_, i) => keep[i]).map((r) => r.id),
      predIds: p.map((r) => r.id),
      similarity: sim.filter((_, i) => keep[i]),
    };
  });
  return toScoredSequence(name, frames);
}
