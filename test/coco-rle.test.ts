import t from 'tap';
import {
  decodeRle,
  encodeFullMaskRle,
  encodeMaskRle,
  rleArea,
  runLengthsToString,
  stringToRunLengths,
} from '../models/coco-rle.js';

t.test('hand-checked 2x2 mask: column-major runs [1,3] -> "13"', async (t) => {
  // [[0,1],[1,1]]: column 0 = 0,1; column 1 = 1,1 -> 0 1 1 1
  const rle = encodeFullMaskRle(Uint8Array.from([0, 1, 1, 1]), 2, 2);
  t.same(rle, { size: [2, 2], counts: '13' });
  t.same(decodeRle(rle), Uint8Array.from([0, 1, 1, 1]));
});

t.test('pycocotools string form: deltas after the 2nd count, 5-bit groups, negatives', async (t) => {
  // 5 -> '5' (48+5). 40 = 0b1_01000 -> groups 8|0x20 = 40 -> 'X', then 1 -> '1'. 3 (third count,
  // no delta yet) -> '3'. 10 is written as 10 - 40 = -30: low group 2|0x20 -> 'R', then -1's
  // group 31 with the sign bit set ends it -> 'O'.
  const s = runLengthsToString([5, 40, 3, 10]);
  t.equal(s, '5X13RO');
  t.same(stringToRunLengths(s), [5, 40, 3, 10]);
  t.throws(() => stringToRunLengths('5X13RO '), /invalid character/);
});

t.test('box-local mask encodes like the same mask expanded to the full frame', async (t) => {
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let trial = 0; trial < 20; trial++) {
    const W = 37,
      H = 23;
    const left = Math.floor(rand() * 30) - 3,
      top = Math.floor(rand() * 18) - 3; // may stick out of the frame
    const width = 1 + Math.floor(rand() * 12),
      height = 1 + Math.floor(rand() * 10);
    const data = Uint8Array.from({ length: width * height }, () => (rand() > 0.4 ? 1 : 0));
    const full = new Uint8Array(W * H);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const fx = left + x,
          fy = top + y;
        if (fx >= 0 && fy >= 0 && fx < W && fy < H) full[fy * W + fx] = data[y * width + x];
      }
    const a = encodeMaskRle({ left, top, width, height, data }, W, H);
    const b = encodeFullMaskRle(full, W, H);
    t.same(a, b, `trial ${trial}`);
    t.same(decodeRle(a), full, `round trip ${trial}`);
    t.equal(
      rleArea(a),
      full.reduce((s, v) => s + v, 0),
    );
  }
});

t.test('an empty mask is one run of zeros; a corrupt RLE is rejected', async (t) => {
  const rle = encodeMaskRle({ left: 0, top: 0, width: 0, height: 0, data: new Uint8Array(0) }, 4, 3);
  t.same(stringToRunLengths(rle.counts), [12]);
  t.throws(() => decodeRle({ size: [3, 4], counts: runLengthsToString([5]) }), /sum to 5/);
});
