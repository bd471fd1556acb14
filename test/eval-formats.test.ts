import t from 'tap';
import { encodeFullMaskRle, runLengthsToString } from '../models/coco-rle.js';
import { decodeLabelPng, encodeIndexedPng } from '../eval/formats/davis-png.js';
import { labelMask, labelRunLengths, paintLabelMap } from '../eval/formats/label-map.js';
import { formatMotRow, parseMotChallenge } from '../eval/formats/mot-challenge.js';
import { formatMotsRow, parseMots } from '../eval/formats/mots.js';
import { parseYtvisResults } from '../eval/formats/youtube-vis.js';
import { parseFrameRange } from '../eval/frame-range.js';
import { labelMapFrame, motsSequence } from '../eval/mask-sequence.js';
import { scoreTracking } from '../eval/score-tracking.js';

const W = 8,
  H = 6;
const rect = (x0: number, y0: number, x1: number, y1: number) => {
  const m = new Uint8Array(W * H);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * W + x] = 1;
  return m;
};

t.test('MOTChallenge rows round-trip and bad rows are named', async (t) => {
  const line = formatMotRow({ frame: 3, id: 7, left: 10.5, top: 20, width: 30.25, height: 60, conf: 0.9 });
  t.equal(line, '3,7,10.5,20,30.25,60,0.9,-1,-1,-1');
  t.same(parseMotChallenge(`${line}\n\n`, 'x.txt'), [
    { frame: 3, id: 7, left: 10.5, top: 20, width: 30.25, height: 60, conf: 0.9, classId: -1 },
  ]);
  t.throws(() => parseMotChallenge('1,2,3\n', 'pred.txt'), /pred\.txt:1: not a MOTChallenge row/);
  t.throws(() => parseMotChallenge('0,1,1,1,1,1,1\n', 'pred.txt'), /1-based/);
});

t.test('MOTS rows round-trip', async (t) => {
  const row = { frame: 2, id: 5, classId: 1, rle: encodeFullMaskRle(rect(1, 1, 4, 3), W, H) };
  t.same(parseMots(`${formatMotsRow(row)}\n`, 'm.txt'), [row]);
  t.throws(() => parseMots('1 2 3\n', 'm.txt'), /m\.txt:1: not a MOTS row/);
});

t.test('DAVIS indexed PNG round-trips labels; overlaps go to the higher score', async (t) => {
  const map = paintLabelMap(
    [
      { label: 1, score: 0.9, rle: encodeFullMaskRle(rect(0, 0, 4, 4), W, H) },
      { label: 2, score: 0.5, rle: encodeFullMaskRle(rect(2, 2, 6, 6), W, H) },
    ],
    W,
    H,
  );
  t.equal(map[3 * W + 3], 1, 'the overlap belongs to the higher-scoring instance');
  t.equal(map[5 * W + 5], 2);
  const png = decodeLabelPng(encodeIndexedPng(map, W, H), 'x.png');
  t.same([png.width, png.height], [W, H]);
  t.same([...png.labels], [...map]);
  t.same(
    [...labelMask(png.labels, 2)],
    [...map].map((v) => (v === 2 ? 1 : 0)),
  );
  t.throws(() => encodeIndexedPng([300], 1, 1), RangeError);
  t.throws(() => decodeLabelPng(new Uint8Array([1, 2, 3]), 'bad.png'), /bad\.png: not a PNG/);
});

t.test('YouTube-VIS results are checked', async (t) => {
  const ok = [{ video_id: 1, category_id: 1, score: 0.8, segmentations: [null, { size: [H, W], counts: '0' }] }];
  t.same(parseYtvisResults(JSON.stringify(ok), 'r.json'), ok);
  t.throws(() => parseYtvisResults('{}', 'r.json'), /JSON array/);
  t.throws(() => parseYtvisResults('[{"video_id":1}]', 'r.json'), /result 0 lacks/);
});

t.test('--frames parsing', async (t) => {
  t.same(parseFrameRange('1-400'), { first: 1, last: 400 });
  t.same(parseFrameRange('7'), { first: 7, last: 7 });
  t.throws(() => parseFrameRange('0-5'), /1 ≤ A ≤ B/);
  t.throws(() => parseFrameRange('9-2'), /1 ≤ A ≤ B/);
});

t.test('label maps give per-label mask IoU in one pass', async (t) => {
  const gt = rect(0, 0, 4, 4),
    pred = new Uint8Array(W * H);
  for (let k = 0; k < pred.length; k++) pred[k] = rect(0, 0, 4, 2)[k] ? 3 : rect(4, 0, 8, 6)[k] ? 4 : 0;
  const f = labelMapFrame(gt, pred);
  t.same(f.gtIds, [1]);
  t.same(f.predIds, [3, 4]);
  t.same(f.similarity, [[0.5, 0]]);
});

t.test('MOTS ignore regions (class 10) remove unmatched predictions inside them', async (t) => {
  const rle = (m: Uint8Array) => encodeFullMaskRle(m, W, H);
  const gt = [
    { frame: 1, id: 1, classId: 1, rle: rle(rect(0, 0, 3, 3)) },
    { frame: 1, id: 99, classId: 10, rle: rle(rect(4, 0, 8, 6)) },
  ];
  const pred = [
    { frame: 1, id: 5, classId: 1, rle: rle(rect(0, 0, 3, 3)) },
    { frame: 1, id: 6, classId: 1, rle: rle(rect(5, 1, 7, 4)) },
  ];
  const { combined } = scoreTracking([motsSequence('s', gt, pred, { first: 1, last: 1 })]);
  t.equal(combined.clear.tp, 1);
  t.equal(combined.clear.fp, 0, 'the prediction inside the ignore region is not a false positive');
  t.equal(combined.gtIds, 1, 'the ignore region is not an object');
  const other = [{ ...pred[0], classId: 2 }];
  t.equal(
    scoreTracking([motsSequence('s', gt, other, { first: 1, last: 1 })]).combined.clear.tp,
    0,
    'classes must agree',
  );
});

t.test("labelRunLengths: every label's COCO runs in one pass equal each label's own mask encoded", async (t) => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let trial = 0; trial < 20; trial++) {
    const w = 3 + Math.floor(rand() * 9),
      h = 2 + Math.floor(rand() * 9);
    const map = Uint16Array.from({ length: w * h }, () =>
      rand() < 0.5 ? 0 : 1 + Math.floor(rand() * (trial % 2 ? 300 : 4)),
    );
    const runs = labelRunLengths(map, w, h);
    for (const label of new Set(map)) {
      if (label === 0) continue;
      t.same(
        runLengthsToString(runs.get(label)!),
        encodeFullMaskRle(labelMask(map, label), w, h).counts,
        `trial ${trial}, label ${label}`,
      );
    }
    t.same(
      [...runs.keys()].sort((a, b) => a - b),
      [...new Set(map)].filter((l) => l > 0).sort((a, b) => a - b),
      'exactly the labels present',
    );
  }
});

t.test('paintLabelMap paints from the runs: same map as decoding each mask', async (t) => {
  const a = new Uint8Array(W * H),
    b = new Uint8Array(W * H);
  for (let k = 0; k < W * H; k++) {
    a[k] = k % 3 === 0 ? 1 : 0;
    b[k] = k % 5 < 2 ? 1 : 0;
  }
  const map = paintLabelMap(
    [
      { label: 1, score: 0.9, rle: encodeFullMaskRle(a, W, H) },
      { label: 2, score: 0.5, rle: encodeFullMaskRle(b, W, H) },
    ],
    W,
    H,
  );
  t.same(
    [...map],
    [...a].map((v, k) => (v ? 1 : b[k] ? 2 : 0)),
    'the higher score wins the overlap',
  );
  t.throws(
    () => paintLabelMap([{ label: 1, score: 1, rle: { size: [H, W], counts: runLengthsToString([3, 2]) } }], W, H),
    /runs sum to 5/,
  );
});
