import { assignMaxScore, EPS, type ScoredSequence } from './scored-sequence.js';

/** CLEAR MOT counts (summable over sequences). */
export interface ClearCounts {
  readonly tp: number;
  readonly fn: number;
  readonly fp: number;
  readonly idsw: number;
  /** Mostly tracked (> 80 % of its frames), partly tracked (≥ 20 %), mostly lost ground-truth ids. */
  readonly mt: number;
  readonly pt: number;
  readonly ml: number;
  readonly frag: number;
  /** Σ similarity of TPs (for MOTP). */
  readonly motpSum: number;
}

/** Final CLEAR MOT scores; MOTA, MOTP, MODA, recall and precision in [0, 1] (MOTA may be negative). */
export interface ClearScores extends ClearCounts {
  readonly MOTA: number;
  readonly MOTP: number;
  readonly MODA: number;
  readonly recall: number;
  readonly precision: number;
}

/** The similarity a match must reach (box or mask IoU). */
export const CLEAR_THRESHOLD = 0.5;

/**
 * CLEAR MOT (Bernardin & Stiefelhagen, "Evaluating Multiple Object Tracking Performance: The
 * CLEAR MOT Metrics", EURASIP JIVP 2008), exactly as TrackEval's `metrics/clear.py`: per frame a
 * Hungarian matching over pairs with IoU ≥ 0.5 that first keeps last frame's pairs (score 1000 +
 * IoU); an ID switch is a matched ground truth whose prediction differs from the one it was last
 * matched to; a fragmentation is a resumption of tracking after a gap.
 */
export function clearCounts(seq: ScoredSequence): ClearCounts {
  let tp = 0,
    fn = 0,
    fp = 0,
    idsw = 0,
    motpSum = 0;
  const gtCount = new Array<number>(seq.numGtIds).fill(0);
  const gtMatched = new Array<number>(seq.numGtIds).fill(0);
  const gtFrag = new Array<number>(seq.numGtIds).fill(0);
  const prevPred = new Array<number>(seq.numGtIds).fill(NaN);
  const prevStepPred = new Array<number>(seq.numGtIds).fill(NaN);

  for (const f of seq.frames) {
    if (f.gtIds.length === 0) {
      fp += f.predIds.length;
      continue;
    }
    if (f.predIds.length === 0) {
      fn += f.gtIds.length;
      for (const g of f.gtIds) gtCount[g]++;
      continue;
    }
    const S = f.similarity;
    const score = f.gtIds.map((g, i) =>
      f.predIds.map((p, j) => (S[i][j] < CLEAR_THRESHOLD - EPS ? 0 : 1000 * Number(prevStepPred[g] === p) + S[i][j])),
    );
    const pairs = assignMaxScore(score).filter(([i, j]) => score[i][j] > 0 + EPS);
    for (const [i, j] of pairs) {
      const g = f.gtIds[i],
        p = f.predIds[j];
      if (!Number.isNaN(prevPred[g]) && prevPred[g] !== p) idsw++;
    }
    for (const g of f.gtIds) gtCount[g]++;
    const notPreviouslyTracked = prevStepPred.map((v) => Number.isNaN(v));
    prevStepPred.fill(NaN);
    for (const [i, j] of pairs) {
      const g = f.gtIds[i],
        p = f.predIds[j];
      gtMatched[g]++;
      prevPred[g] = p;
      prevStepPred[g] = p;
      motpSum += S[i][j];
    }
    for (let g = 0; g < seq.numGtIds; g++) if (notPreviouslyTracked[g] && !Number.isNaN(prevStepPred[g])) gtFrag[g]++;
    tp += pairs.length;
    fn += f.gtIds.length - pairs.length;
    fp += f.predIds.length - pairs.length;
  }
  let mt = 0,
    pt = 0;
  for (let g = 0; g < seq.numGtIds; g++) {
    if (gtCount[g] === 0) continue;
    const ratio = gtMatched[g] / gtCount[g];
    if (ratio > 0.8) mt++;
    else if (ratio >= 0.2) pt++;
  }
  const frag = gtFrag.reduce((s, v) => s + (v > 0 ? v - 1 : 0), 0);
  return { tp, fn, fp, idsw, mt, pt, ml: seq.numGtIds - mt - pt, frag, motpSum };
}

/** Sums counts over sequences. */
export function combineClear(all: readonly ClearCounts[]): ClearCounts {
  const s = (k: keyof ClearCounts) => all.reduce((acc, c) => acc + c[k], 0);
  return {
    tp: s('tp'),
    fn: s('fn'),
    fp: s('fp'),
    idsw: s('idsw'),
    mt: s('mt'),
    pt: s('pt'),
    ml: s('ml'),
    frag: s('frag'),
    motpSum: s('motpSum'),
  };
}

/** MOTA = (TP − FP − IDSW) / (TP + FN); MOTP = mean IoU of TPs; MODA = (TP − FP) / (TP + FN). */
export function clearScores(c: ClearCounts): ClearScores {
  const gt = Math.max(1, c.tp + c.fn);
  return {
    ...c,
    MOTA: (c.tp - c.fp - c.idsw) / gt,
    MOTP: c.motpSum / Math.max(1, c.tp),
    MODA: (c.tp - c.fp) / gt,
    recall: c.tp / gt,
    precision: c.tp / Math.max(1, c.tp + c.fp),
  };
}
