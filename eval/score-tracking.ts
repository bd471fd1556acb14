import { clearCounts, clearScores, combineClear, type ClearCounts, type ClearScores } from './clear-mot.js';
import { combineHota, hotaCounts, hotaScores, type HotaCounts, type HotaScores } from './hota.js';
import {
  combineIdentity,
  identityCounts,
  identityScores,
  type IdentityCounts,
  type IdentityScores,
} from './identity.js';
import type { ScoredSequence } from './scored-sequence.js';

/** DAVIS J&F of one sequence or combined (values in [0, 1]). */
export interface JandF {
  readonly JMean: number;
  readonly JRecall: number;
  readonly JDecay: number;
  readonly FMean: number;
  readonly FRecall: number;
  readonly FDecay: number;
  /** (J mean + F mean) / 2. */
  readonly JFMean: number;
}

/** Scores of one sequence, or of all sequences combined (`name` 'COMBINED'). */
export interface TrackingScores {
  readonly name: string;
  /** Scored frames, distinct ground-truth ids and distinct predicted ids. */
  readonly frames: number;
  readonly gtIds: number;
  readonly predIds: number;
  readonly gtDets: number;
  readonly predDets: number;
  readonly hota: HotaScores;
  readonly clear: ClearScores;
  readonly identity: IdentityScores;
  readonly jf?: JandF;
}

/** Per-sequence counts kept for combining. */
interface SequenceCounts {
  seq: ScoredSequence;
  hota: HotaCounts;
  clear: ClearCounts;
  identity: IdentityCounts;
}

const dets = (seq: ScoredSequence, k: 'gtIds' | 'predIds') => seq.frames.reduce((s, f) => s + f[k].length, 0);

/**
 * Scores sequences with HOTA, CLEAR MOT and Identity metrics, one result per sequence and one
 * combined over all (counts summed, HOTA's association terms weighted by TPs, as TrackEval).
 * @param jf optional DAVIS J&F per sequence name, and combined
 */
export function scoreTracking(
  seqs: readonly ScoredSequence[],
  jf?: { perSequence: ReadonlyMap<string, JandF>; combined: JandF },
): { sequences: TrackingScores[]; combined: TrackingScores } {
  const counts: SequenceCounts[] = seqs.map((seq) => ({
    seq,
    hota: hotaCounts(seq),
    clear: clearCounts(seq),
    identity: identityCounts(seq),
  }));
  const sequences = counts.map((c) => ({
    name: c.seq.name,
    frames: c.seq.frames.length,
    gtIds: c.seq.numGtIds,
    predIds: c.seq.numPredIds,
    gtDets: dets(c.seq, 'gtIds'),
    predDets: dets(c.seq, 'predIds'),
    hota: hotaScores(c.hota),
    clear: clearScores(c.clear),
    identity: identityScores(c.identity),
    ...(jf?.perSequence.has(c.seq.name) ? { jf: jf.perSequence.get(c.seq.name) } : {}),
  }));
  const sum = (k: 'frames' | 'gtIds' | 'predIds' | 'gtDets' | 'predDets') => sequences.reduce((s, x) => s + x[k], 0);
  const combined: TrackingScores = {
    name: 'COMBINED',
    frames: sum('frames'),
    gtIds: sum('gtIds'),
    predIds: sum('predIds'),
    gtDets: sum('gtDets'),
    predDets: sum('predDets'),
    hota: hotaScores(combineHota(counts.map((c) => c.hota))),
    clear: clearScores(combineClear(counts.map((c) => c.clear))),
    identity: identityScores(combineIdentity(counts.map((c) => c.identity))),
    ...(jf ? { jf: jf.combined } : {}),
  };
  return { sequences, combined };
}
