import { assignMinCost } from '../models/tracking/assignment.js';
import { zeros, type ScoredSequence } from './scored-sequence.js';

/** Identity counts (summable over sequences). */
export interface IdentityCounts {
  readonly idtp: number;
  readonly idfn: number;
  readonly idfp: number;
}

/** IDF1, ID recall and ID precision in [0, 1]. */
export interface IdentityScores extends IdentityCounts {
  readonly IDF1: number;
  readonly IDR: number;
  readonly IDP: number;
}

/** The similarity at which a ground-truth and predicted box count as the same object. */
export const IDENTITY_THRESHOLD = 0.5;

/**
 * Identity metrics (Ristani et al., "Performance Measures and a Data Set for Multi-Target,
 * Multi-Camera Tracking", ECCV 2016 workshops), as TrackEval's `metrics/identity.py`: one global
 * bijection between ground-truth and predicted ids (Hungarian on an (G+T)×(G+T) cost with dummy
 * rows/columns) minimising IDFN + IDFP, where two ids overlap in a frame when IoU ≥ 0.5.
 */
export function identityCounts(seq: ScoredSequence): IdentityCounts {
  const G = seq.numGtIds,
    T = seq.numPredIds;
  const potential = zeros(G, T);
  const gtCount = new Array<number>(G).fill(0),
    predCount = new Array<number>(T).fill(0);
  for (const f of seq.frames) {
    f.gtIds.forEach((g, i) => {
      f.predIds.forEach((p, j) => {
        if (f.similarity[i][j] >= IDENTITY_THRESHOLD) potential[g][p]++;
      });
    });
    for (const g of f.gtIds) gtCount[g]++;
    for (const p of f.predIds) predCount[p]++;
  }
  const totalGt = gtCount.reduce((s, v) => s + v, 0),
    totalPred = predCount.reduce((s, v) => s + v, 0);
  if (T === 0) return { idtp: 0, idfn: totalGt, idfp: 0 };
  if (G === 0) return { idtp: 0, idfn: 0, idfp: totalPred };
  const N = G + T;
  const fnMat = zeros(N, N),
    fpMat = zeros(N, N);
  for (let r = G; r < N; r++) for (let c = 0; c < T; c++) fpMat[r][c] = 1e10;
  for (let r = 0; r < G; r++) for (let c = T; c < N; c++) fnMat[r][c] = 1e10;
  for (let g = 0; g < G; g++) {
    for (let c = 0; c < T; c++) fnMat[g][c] = gtCount[g];
    fnMat[g][T + g] = gtCount[g];
  }
  for (let p = 0; p < T; p++) {
    for (let r = 0; r < G; r++) fpMat[r][p] = predCount[p];
    fpMat[p + G][p] = predCount[p];
  }
  for (let g = 0; g < G; g++)
    for (let p = 0; p < T; p++) {
      fnMat[g][p] -= potential[g][p];
      fpMat[g][p] -= potential[g][p];
    }
  const pairs = assignMinCost(fnMat.map((row, r) => row.map((v, c) => v + fpMat[r][c])));
  let idfn = 0,
    idfp = 0;
  for (const [r, c] of pairs) {
    idfn += fnMat[r][c];
    idfp += fpMat[r][c];
  }
  return { idtp: totalGt - idfn, idfn, idfp };
}

/** Sums counts over sequences. */
export function combineIdentity(all: readonly IdentityCounts[]): IdentityCounts {
  return {
    idtp: all.reduce((s, c) => s + c.idtp, 0),
    idfn: all.reduce((s, c) => s + c.idfn, 0),
    idfp: all.reduce((s, c) => s + c.idfp, 0),
  };
}

/** IDF1 = IDTP / (IDTP + ½IDFP + ½IDFN). */
export function identityScores(c: IdentityCounts): IdentityScores {
  return {
    ...c,
    IDF1: c.idtp / Math.max(1, c.idtp + 0.5 * c.idfp + 0.5 * c.idfn),
    IDR: c.idtp / Math.max(1, c.idtp + c.idfn),
    IDP: c.idtp / Math.max(1, c.idtp + c.idfp),
  };
}
