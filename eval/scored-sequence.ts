import { assignMinCost } from '../models/tracking/assignment.js';

/**
 * One frame of a sequence ready for scoring, after dataset preprocessing: ground-truth and
 * predicted track ids (contiguous, 0-based within the sequence) and their similarity
 * (box IoU or mask IoU, in [0, 1]) as `similarity[gtRow][predCol]`.
 */
export interface ScoredFrame {
  readonly gtIds: readonly number[];
  readonly predIds: readonly number[];
  readonly similarity: readonly (readonly number[])[];
}

/** A whole sequence ready for scoring (TrackEval's preprocessed `data`). */
export interface ScoredSequence {
  readonly name: string;
  readonly numGtIds: number;
  readonly numPredIds: number;
  readonly frames: readonly ScoredFrame[];
}

/** Frame contents with raw (dataset) ids, before relabelling. */
export interface RawScoredFrame {
  readonly gtIds: readonly number[];
  readonly predIds: readonly number[];
  readonly similarity: readonly (readonly number[])[];
}

/** numpy's float64 machine epsilon, used by TrackEval in every threshold comparison. */
export const EPS = 2.220446049250313e-16;

/**
 * Relabels raw ids to contiguous 0-based ids in ascending order of the raw id (TrackEval's
 * `np.unique` relabelling), so metric matrices stay small.
 * @throws Error when an id occurs twice in one frame (TrackEval's `_check_unique_ids`)
 */
export function toScoredSequence(name: string, frames: readonly RawScoredFrame[]): ScoredSequence {
  const gtSet = new Set<number>(),
    predSet = new Set<number>();
  frames.forEach((f, t) => {
    if (new Set(f.gtIds).size !== f.gtIds.length)
      throw new Error(`${name}: ground truth repeats a track id in frame ${t + 1}`);
    if (new Set(f.predIds).size !== f.predIds.length)
      throw new Error(`${name}: predictions repeat a track id in frame ${t + 1}`);
    for (const id of f.gtIds) gtSet.add(id);
    for (const id of f.predIds) predSet.add(id);
  });
  const gtMap = new Map([...gtSet].sort((a, b) => a - b).map((id, i) => [id, i]));
  const predMap = new Map([...predSet].sort((a, b) => a - b).map((id, i) => [id, i]));
  return {
    name,
    numGtIds: gtMap.size,
    numPredIds: predMap.size,
    frames: frames.map((f) => ({
      gtIds: f.gtIds.map((id) => gtMap.get(id)!),
      predIds: f.predIds.map((id) => predMap.get(id)!),
      similarity: f.similarity,
    })),
  };
}

/**
 * Maximum-score one-to-one assignment (scipy's `linear_sum_assignment(-score)`), via munkres.
 * @returns [row, col] pairs, one per row or column (whichever is fewer), sorted by row
 */
export function assignMaxScore(score: readonly (readonly number[])[]): [number, number][] {
  return assignMinCost(score.map((row) => row.map((v) => -v)));
}

/** A matrix of zeros, rows × cols. */
export function zeros(rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}
