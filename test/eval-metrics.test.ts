import t from 'tap';
import type { MotRow } from '../eval/formats/mot-challenge.js';
import { motChallengeSequence } from '../eval/mot-challenge-sequence.js';
import { scoreTracking } from '../eval/score-tracking.js';

/** A MOT row: box [left, top, width, height]; conf 1 unless given (0 = zero-marked). */
const row = (frame: number, id: number, box: [number, number, number, number], conf = 1, classId = -1): MotRow => ({
  frame,
  id,
  left: box[0],
  top: box[1],
  width: box[2],
  height: box[3],
  conf,
  classId,
});
const score = (gt: MotRow[], pred: MotRow[], last: number, benchmark: 'MOT15' | 'MOT17' = 'MOT15') =>
  scoreTracking([motChallengeSequence('seq', gt, pred, { first: 1, last }, benchmark)]).combined;
const close = (t: { ok: (ok: boolean, message: string) => unknown }, actual: number, expected: number, what: string) =>
  t.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≈ ${expected}`);

const A: [number, number, number, number] = [0, 0, 10, 10];
const B: [number, number, number, number] = [100, 0, 10, 10];

t.test('perfect tracking scores 100 on every metric', async (t) => {
  const gt = [1, 2, 3, 4, 5].flatMap((f) => [row(f, 1, A), row(f, 2, B)]);
  const pred = gt.map((r) => ({ ...r, id: r.id + 10 }));
  const s = score(gt, pred, 5);
  close(t, s.hota.HOTA, 1, 'HOTA');
  close(t, s.hota.DetA, 1, 'DetA');
  close(t, s.hota.AssA, 1, 'AssA');
  close(t, s.hota.LocA, 1, 'LocA');
  close(t, s.clear.MOTA, 1, 'MOTA');
  close(t, s.clear.MOTP, 1, 'MOTP');
  close(t, s.identity.IDF1, 1, 'IDF1');
  t.equal(s.clear.idsw, 0);
  t.equal(s.clear.fp, 0);
  t.equal(s.clear.fn, 0);
  t.equal(s.clear.mt, 2);
});

t.test('one ID switch, worked out from the definitions', async (t) => {
  // One ground-truth object g in frames 1-4; the tracker follows it exactly but calls it a in
  // frames 1-2 and b in frames 3-4 (IoU 1 everywhere).
  const gt = [1, 2, 3, 4].map((f) => row(f, 1, A));
  const pred = [1, 2, 3, 4].map((f) => row(f, f <= 2 ? 7 : 8, A));
  const s = score(gt, pred, 4);
  // CLEAR: 4 TP, 0 FN, 0 FP, and in frame 3 g's match changes a → b: 1 IDSW.
  // MOTA = (TP − FP − IDSW) / (TP + FN) = (4 − 0 − 1) / 4 = 0.75. g is tracked without a gap: Frag 0.
  t.equal(s.clear.tp, 4);
  t.equal(s.clear.idsw, 1);
  t.equal(s.clear.frag, 0);
  close(t, s.clear.MOTA, 0.75, 'MOTA');
  // IDF1: the best one-to-one id mapping pairs g with a (or b): IDTP 2, IDFN 2 (frames 3-4),
  // IDFP 2 (b's frames). IDF1 = 2 / (2 + ½·2 + ½·2) = 0.5.
  t.equal(s.identity.idtp, 2);
  t.equal(s.identity.idfn, 2);
  t.equal(s.identity.idfp, 2);
  close(t, s.identity.IDF1, 0.5, 'IDF1');
  // HOTA: every α matches all 4 detections, so DetA = 4 / 4 = 1. Association: TPA(g,a) = 2 with
  // |g| = 4, |a| = 2, so each of the 2 TPs of (g,a) scores 2 / (4 + 2 − 2) = 0.5, the same for
  // (g,b): AssA = (2·0.5 + 2·0.5) / 4 = 0.5 and HOTA = √(DetA·AssA) = √0.5.
  close(t, s.hota.DetA, 1, 'DetA');
  close(t, s.hota.AssA, 0.5, 'AssA');
  close(t, s.hota.HOTA, Math.SQRT1_2, 'HOTA');
});

t.test('a missed object', async (t) => {
  // Two objects over 2 frames; the tracker only reports the first one.
  const gt = [1, 2].flatMap((f) => [row(f, 1, A), row(f, 2, B)]);
  const pred = [1, 2].map((f) => row(f, 5, A));
  const s = score(gt, pred, 2);
  // TP 2, FN 2: MOTA = 2/4. IDF1 = 2 / (2 + 0 + ½·2) = 2/3. DetA = 2/4, AssA = 1, HOTA = √0.5.
  t.equal(s.clear.fn, 2);
  t.equal(s.clear.mt, 1);
  t.equal(s.clear.ml, 1);
  close(t, s.clear.MOTA, 0.5, 'MOTA');
  close(t, s.identity.IDF1, 2 / 3, 'IDF1');
  close(t, s.hota.DetA, 0.5, 'DetA');
  close(t, s.hota.AssA, 1, 'AssA');
  close(t, s.hota.HOTA, Math.SQRT1_2, 'HOTA');
});

t.test('localisation: HOTA averages over the 19 thresholds α', async (t) => {
  // One object for 3 frames, predicted with IoU 0.72 (box 7.2 × 10 inside 10 × 10) and one id.
  // A pair matches at α when IoU ≥ α: α = 0.05 … 0.70 (14 of 19) match, α = 0.75 … 0.95 do not.
  // Matched α: DetA = AssA = 1; unmatched: DetA = AssA = 0. HOTA = DetA = AssA = 14/19.
  // LocA(α) is 0.72 where matched and 1 by convention where no TP: (14·0.72 + 5) / 19.
  const gt = [1, 2, 3].map((f) => row(f, 1, A));
  const pred = [1, 2, 3].map((f) => row(f, 1, [0, 0, 7.2, 10]));
  const s = score(gt, pred, 3);
  close(t, s.hota.HOTA, 14 / 19, 'HOTA');
  close(t, s.hota.DetA, 14 / 19, 'DetA');
  close(t, s.hota.AssA, 14 / 19, 'AssA');
  close(t, s.hota.LocA, (14 * 0.72 + 5) / 19, 'LocA');
  // CLEAR and Identity threshold at IoU 0.5: all matched; MOTP is the mean IoU.
  close(t, s.clear.MOTA, 1, 'MOTA');
  close(t, s.clear.MOTP, 0.72, 'MOTP');
  close(t, s.identity.IDF1, 1, 'IDF1');
});

t.test('zero-marked ground truth: dropped in MOT15, an ignore region for distractors in MOT17', async (t) => {
  // Frame 1: a pedestrian (tracked) and a zero-marked box of class 8 (distractor) that the tracker also reports.
  const gt = [row(1, 1, A, 1, 1), row(1, 2, B, 0, 8)];
  const pred = [row(1, 1, A), row(1, 2, B)];
  const mot17 = score(gt, pred, 1, 'MOT17');
  t.equal(mot17.clear.fp, 0, 'MOT17: the prediction on the distractor is removed, not a false positive');
  t.equal(mot17.clear.tp, 1);
  close(t, mot17.clear.MOTA, 1, 'MOT17 MOTA');
  const mot15 = score(
    gt.map((r) => ({ ...r, classId: -1 })),
    pred,
    1,
    'MOT15',
  );
  t.equal(mot15.clear.fp, 1, 'MOT15: zero-marked rows are simply dropped, so the prediction is a false positive');
  t.equal(mot15.gtDets, 1, 'the zero-marked row is not ground truth');
});

t.test('frame range: predictions outside the scored frames do not count', async (t) => {
  const gt = [1, 2].map((f) => row(f, 1, A));
  const pred = [1, 2, 3, 4].map((f) => row(f, 1, A)); // frames 3-4 have no ground truth
  t.equal(score(gt, pred, 2).clear.fp, 0);
  t.equal(score(gt, pred, 4).clear.fp, 2);
});

t.test('sequences combine by summing counts (HOTA association weighted by TPs)', async (t) => {
  const gt = [1, 2, 3, 4].map((f) => row(f, 1, A));
  const perfect = motChallengeSequence('a', gt, gt, { first: 1, last: 4 }, 'MOT15');
  const switched = motChallengeSequence(
    'b',
    gt,
    [1, 2, 3, 4].map((f) => row(f, f <= 2 ? 7 : 8, A)),
    { first: 1, last: 4 },
    'MOT15',
  );
  const { sequences, combined } = scoreTracking([perfect, switched]);
  t.equal(sequences.length, 2);
  close(t, combined.clear.MOTA, (8 - 0 - 1) / 8, 'MOTA');
  close(t, combined.hota.AssA, (4 * 1 + 4 * 0.5) / 8, 'AssA');
  close(t, combined.identity.IDF1, (4 + 2) / (4 + 2 + 1 + 1), 'IDF1');
});
