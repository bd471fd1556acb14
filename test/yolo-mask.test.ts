import t from 'tap';
import { maskArea } from '../models/instance-mask.js';
import { computeLetterbox } from '../models/letterbox.js';
import { assembleMask } from '../models/yolo-mask.js';

// 2 prototypes at 16x16 for a 64x64 input: proto 0 is +1 everywhere, proto 1 is +1 on the
// left half and -1 on the right half of the input.
function protos() {
  const data = new Float32Array(2 * 256);
  for (let y = 0; y < 16; y++)
    for (let x = 0; x < 16; x++) {
      data[y * 16 + x] = 1;
      data[256 + y * 16 + x] = x < 8 ? 1 : -1;
    }
  return { data, count: 2, height: 16, width: 16 };
}

t.test('mask is cropped to the box: everything inside, nothing outside', async (t) => {
  const lb = computeLetterbox(128, 64, 64, 64); // scale .5, 64x32 image, pad 16 rows
  const m = assembleMask([1, 0], protos(), [10.4, 5.2, 30.6, 20], lb);
  t.same([m.left, m.top, m.width, m.height], [10, 5, 21, 15], 'box rounded outwards to whole pixels');
  t.equal(maskArea(m), 21 * 15);
});

t.test('mask follows the prototypes through the letterbox: left half of the frame only', async (t) => {
  const lb = computeLetterbox(128, 64, 64, 64);
  // Input x < 32 <=> frame x < 64. Coefficient 2 on proto 1 makes logits 1+2=3 (left) / 1-2=-1 (right).
  const m = assembleMask([1, 2], protos(), [0, 0, 128, 64], lb);
  let leftOn = 0,
    rightOn = 0;
  for (let y = 0; y < m.height; y++)
    for (let x = 0; x < m.width; x++) {
      if (!m.data[y * m.width + x]) continue;
      if (x < 60) leftOn++;
      else if (x >= 68) rightOn++;
    }
  t.equal(leftOn, 60 * 64, 'left part fully on');
  t.equal(rightOn, 0, 'right part off');
});

t.test('an empty or out-of-frame box gives an empty mask', async (t) => {
  const lb = computeLetterbox(128, 64, 64, 64);
  const m = assembleMask([1, 0], protos(), [200, 10, 220, 20], lb);
  t.equal(m.width * m.height, 0);
});
