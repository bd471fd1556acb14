import t from 'tap';
import { encodeFullMaskRle, stringToRunLengths } from '../models/coco-rle.js';
import { boundaryF, boundaryMap, boundaryTolerancePx, davisStatistics, regionJ } from '../eval/davis-jf.js';
import { binaryMaskIoU, runLengthIoU } from '../eval/mask-iou.js';

/** A w×h mask with the rectangle [x0, x1) × [y0, y1) set. */
function rect(w: number, h: number, x0: number, y0: number, x1: number, y1: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) m[y * w + x] = 1;
  return m;
}

t.test('region similarity J is the mask IoU (1 for two empty masks)', async (t) => {
  t.equal(regionJ(rect(10, 10, 0, 0, 4, 4), rect(10, 10, 0, 0, 4, 2)), 0.5);
  t.equal(regionJ(new Uint8Array(100), new Uint8Array(100)), 1);
});

t.test('boundary map marks pixels that differ from the right, lower or lower-right neighbour', async (t) => {
  const b = boundaryMap(rect(6, 6, 1, 1, 4, 4), 6, 6);
  // Square at x,y ∈ [1,3]: row 0 (x 0-3) and column 0 (y 1-3) see the square below/right of
  // them; the square's own last column (x 3, y 1-2) and last row (y 3, x 1-3) see background:
  // 4 + 3 + 2 + 3 = 12 pixels.
  const on = [...b].reduce((s, v) => s + v, 0);
  t.equal(b[0 * 6 + 0], 1, 'the corner pixel above-left sees the square diagonally');
  t.equal(b[2 * 6 + 2], 0, 'an interior pixel is not boundary');
  t.equal(b[3 * 6 + 3], 1, "the square's bottom-right pixel is boundary");
  t.equal(on, 12);
});

t.test('contour accuracy F: tolerance ⌈0.008·diagonal⌉, shifts within it cost nothing', async (t) => {
  t.equal(boundaryTolerancePx(854, 480), 8, 'DAVIS 480p frames match boundaries within 8 px');
  const w = 200,
    h = 120; // diagonal 233 → 2 px tolerance
  t.equal(boundaryTolerancePx(w, h), 2);
  const gt = rect(w, h, 50, 30, 120, 90);
  t.equal(boundaryF(gt, gt, w, h), 1, 'identical masks');
  t.equal(boundaryF(gt, rect(w, h, 52, 30, 122, 90), w, h), 1, 'a 2 px shift is within tolerance');
  t.ok(boundaryF(gt, rect(w, h, 60, 30, 130, 90), w, h) < 0.6, 'a 10 px shift is not');
  t.equal(boundaryF(gt, new Uint8Array(w * h), w, h), 0, 'an empty prediction has recall 0');
  t.equal(boundaryF(new Uint8Array(w * h), new Uint8Array(w * h), w, h), 1, 'both empty');
});

t.test('DAVIS statistics: mean, recall (> 0.5) and decay over quarters', async (t) => {
  const s = davisStatistics([1, 1, 1, 1, 0.4, 0.4, 0.2, 0.2]);
  t.ok(Math.abs(s.mean - 0.65) < 1e-12, `mean ${s.mean}`);
  t.equal(s.recall, 0.5);
  // n = 8: bin edges round(linspace(1, 8, 5) + 1e-10) − 1 = round([1, 2.75, 4.5, 6.25, 8]) − 1 = [0, 2, 4, 5, 7];
  // first bin frames 0-2 (mean 1), last bin frames 5-7 (mean (0.4 + 0.2 + 0.2) / 3): decay 1 − 0.8/3.
  t.ok(Math.abs(s.decay - (1 - 0.8 / 3)) < 1e-12, `decay ${s.decay}`);
});

t.test('mask IoU from COCO RLE runs equals IoU of the decoded masks', async (t) => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let trial = 0; trial < 20; trial++) {
    const w = 13 + trial,
      h = 9 + (trial % 5);
    const a = Uint8Array.from({ length: w * h }, () => (rand() < 0.4 ? 1 : 0));
    const b = Uint8Array.from({ length: w * h }, () => (rand() < 0.5 ? 1 : 0));
    const ra = stringToRunLengths(encodeFullMaskRle(a, w, h).counts),
      rb = stringToRunLengths(encodeFullMaskRle(b, w, h).counts);
    t.ok(Math.abs(runLengthIoU(ra, rb) - binaryMaskIoU(a, b)) < 1e-12, `trial ${trial}`);
  }
  t.throws(() => runLengthIoU([4], [3, 2]), /different sizes/);
});
