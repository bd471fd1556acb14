import { assignMaxScore, EPS, zeros, type ScoredSequence } from './scored-sequence.js';

/**
 * The 19 localisation thresholds α = 0.05, 0.10, …, 0.95 over which HOTA is averaged, computed as
 * numpy's `arange(0.05, 0.99, 0.05)` does (start + i·step, so 0.6000000000000001 etc.), so that
 * similarities exactly on a threshold are decided as in TrackEval.
 */
export const HOTA_ALPHAS: readonly number[] = Array.from({ length: 19 }, (_, i) => 0.05 + i * 0.05);

/** HOTA counts of one sequence (or several combined), one entry per α in {@link HOTA_ALPHAS}. */
export interface HotaCounts {
  readonly tp: number[];
  readonly fn: number[];
  readonly fp: number[];
  /** AssA, AssRe, AssPr and LocA per α (already averaged over this sequence's TPs). */
  readonly assA: number[];
  readonly assRe: number[];
  readonly assPr: number[];
  readonly locA: number[];
}

/** Final HOTA scores in [0, 1], averaged over α (the numbers a benchmark reports). */
export interface HotaScores {
  readonly HOTA: number;
  readonly DetA: number;
  readonly AssA: number;
  readonly DetRe: number;
  readonly DetPr: number;
  readonly AssRe: number;
  readonly AssPr: number;
  readonly LocA: number;
  /** HOTA at α = 0.05 (the localisation-free variant). */
  readonly HOTA0: number;
}

/**
 * Higher Order Tracking Accuracy (Luiten et al., "HOTA: A Higher Order Metric for Evaluating
 * Multi-Object Tracking", IJCV 2021), computed exactly as TrackEval's `metrics/hota.py`:
 *
 * 1. Global alignment score A(g, p) = Σ_t S'(g,p,t) / (n_g + n_p − Σ_t S'(g,p,t)), where S' is the
 *    similarity normalised per frame like an IoU between soft matches.
 * 2. Per frame, Hungarian matching maximising A(g,p)·S(g,p); a pair counts as a TP at α when S ≥ α.
 * 3. AssA(α) = mean over TPs of |TPA| / (|TPA| + |FNA| + |FPA|); DetA(α) = TP / (TP + FN + FP);
 *    HOTA(α) = √(DetA·AssA); LocA(α) = mean similarity of TPs.
 */
export function hotaCounts(seq: ScoredSequence): HotaCounts {
  const A = HOTA_ALPHAS.length;
  const tp = new Array<number>(A).fill(0),
    fn = new Array<number>(A).fill(0),
    fp = new Array<number>(A).fill(0);
  const locSum = new Array<number>(A).fill(0);
  const potential = zeros(seq.numGtIds, seq.numPredIds);
  const gtCount = new Array<number>(seq.numGtIds).fill(0),
    predCount = new Array<number>(seq.numPredIds).fill(0);

  // First pass: global alignment between ids (every frame counts its ids, even without matches).
  for (const f of seq.frames) {
    for (const g of f.gtIds) gtCount[g]++;
    for (const p of f.predIds) predCount[p]++;
    if (f.gtIds.length === 0 || f.predIds.length === 0) continue;
    const S = f.similarity;
    const rowSum = S.map((r) => r.reduce((s, v) => s + v, 0));
    const colSum = f.predIds.map((_, j) => S.reduce((s, r) => s + r[j], 0));
    for (let i = 0; i < f.gtIds.length; i++) {
      for (let j = 0; j < f.predIds.length; j++) {
        const denom = rowSum[i] + colSum[j] - S[i][j];
        if (denom > 0 + EPS) potential[f.gtIds[i]][f.predIds[j]] += S[i][j] / denom;
      }
    }
  }
  const alignment = potential.map((row, g) => row.map((v, p) => v / (gtCount[g] + predCount[p] - v)));

  const matches = HOTA_ALPHAS.map(() => zeros(seq.numGtIds, seq.numPredIds));
  // Second pass: per-frame matching that maximises alignment × similarity.
  for (const f of seq.frames) {
    if (f.gtIds.length === 0) {
      for (let a = 0; a < A; a++) fp[a] += f.predIds.length;
      continue;
    }
    if (f.predIds.length === 0) {
      for (let a = 0; a < A; a++) fn[a] += f.gtIds.length;
      continue;
    }
    const S = f.similarity;
    const score = f.gtIds.map((g, i) => f.predIds.map((p, j) => alignment[g][p] * S[i][j]));
    const pairs = assignMaxScore(score);
    HOTA_ALPHAS.forEach((alpha, a) => {
      let n = 0;
      for (const [i, j] of pairs) {
        if (S[i][j] >= alpha - EPS) {
          n++;
          locSum[a] += S[i][j];
          matches[a][f.gtIds[i]][f.predIds[j]]++;
        }
      }
      tp[a] += n;
      fn[a] += f.gtIds.length - n;
      fp[a] += f.predIds.length - n;
    });
  }

  const assA = new Array<number>(A).fill(0),
    assRe = new Array<number>(A).fill(0),
    assPr = new Array<number>(A).fill(0);
  for (let a = 0; a < A; a++) {
    let sA = 0,
      sRe = 0,
      sPr = 0;
    matches[a].forEach((row, g) => {
      row.forEach((m, p) => {
        if (m === 0) return;
        sA += m * (m / Math.max(1, gtCount[g] + predCount[p] - m));
        sRe += m * (m / Math.max(1, gtCount[g]));
        sPr += m * (m / Math.max(1, predCount[p]));
      });
    });
    assA[a] = sA / Math.max(1, tp[a]);
    assRe[a] = sRe / Math.max(1, tp[a]);
    assPr[a] = sPr / Math.max(1, tp[a]);
  }
  const locA = locSum.map((s, a) => Math.max(1e-10, s) / Math.max(1e-10, tp[a]));
  return { tp, fn, fp, assA, assRe, assPr, locA };
}

/** Combines sequences as TrackEval does: counts summed, AssA/AssRe/AssPr/LocA weighted by TP. */
export function combineHota(all: readonly HotaCounts[]): HotaCounts {
  const A = HOTA_ALPHAS.length;
  const sum = (k: 'tp' | 'fn' | 'fp') => Array.from({ length: A }, (_, a) => all.reduce((s, c) => s + c[k][a], 0));
  const tp = sum('tp');
  const weightedSum = (k: 'assA' | 'assRe' | 'assPr' | 'locA') =>
    Array.from({ length: A }, (_, a) => all.reduce((s, c) => s + c[k][a] * c.tp[a], 0));
  const weighted = (k: 'assA' | 'assRe' | 'assPr') => weightedSum(k).map((v, a) => v / Math.max(1e-10, tp[a]));
  // LocA is 1 by convention where there is no TP (as TrackEval: max(1e-10, Σ) / max(1e-10, TP)).
  const locA = weightedSum('locA').map((v, a) => Math.max(1e-10, v) / Math.max(1e-10, tp[a]));
  return {
    tp,
    fn: sum('fn'),
    fp: sum('fp'),
    assA: weighted('assA'),
    assRe: weighted('assRe'),
    assPr: weighted('assPr'),
    locA,
  };
}

/** Final HOTA scores from counts (means over α). */
export function hotaScores(c: HotaCounts): HotaScores {
  const A = HOTA_ALPHAS.length;
  const detA = c.tp.map((tp, a) => tp / Math.max(1, tp + c.fn[a] + c.fp[a]));
  const detRe = c.tp.map((tp, a) => tp / Math.max(1, tp + c.fn[a]));
  const detPr = c.tp.map((tp, a) => tp / Math.max(1, tp + c.fp[a]));
  const hota = detA.map((d, a) => Math.sqrt(d * c.assA[a]));
  const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / A;
  return {
    HOTA: mean(hota),
    DetA: mean(detA),
    AssA: mean(c.assA),
    DetRe: mean(detRe),
    DetPr: mean(detPr),
    AssRe: mean(c.assRe),
    AssPr: mean(c.assPr),
    LocA: mean(c.locA),
    HOTA0: hota[0],
  };
}
