import t from 'tap';
import { computeLetterbox, inputToFrameX, inputToFrameY, letterboxToTensor } from '../models/letterbox.js';

t.test('PETS 768x576 into 320x320: scale 5/12, 320x240 image, 40 px bands top and bottom', async (t) => {
  const lb = computeLetterbox(768, 576, 320, 320);
  t.equal(lb.scale, 320 / 768);
  t.equal(lb.resizedWidth, 320);
  t.equal(lb.resizedHeight, 240);
  t.equal(lb.padX, 0);
  t.equal(lb.padY, 40);
  // input (160, 40) is the frame's top-centre; (320, 280) its bottom-right corner.
  t.equal(inputToFrameX(lb, 160), 384);
  t.equal(inputToFrameY(lb, 40), 0);
  t.equal(inputToFrameY(lb, 280), 576);
});

t.test('odd padding puts the extra pixel right/bottom (Ultralytics round(dw - 0.1))', async (t) => {
  const lb = computeLetterbox(100, 51, 64, 64); // scale .64, 64x33 -> 31 rows of padding
  t.equal(lb.resizedHeight, 33);
  t.equal(lb.padY, 15);
  t.equal(lb.padX, 0);
});

t.test('tensor: padding is 114/255, image pixels are /255 in CHW order', async (t) => {
  const w = 4,
    h = 2;
  const rgb = new Uint8Array(w * h * 3);
  for (let i = 0; i < w * h; i++) {
    rgb[3 * i] = 255;
    rgb[3 * i + 1] = 0;
    rgb[3 * i + 2] = 51;
  }
  const lb = computeLetterbox(w, h, 8, 8); // scale 2 -> 8x4 image, 2 rows pad on top
  const out = new Float32Array(3 * 64);
  letterboxToTensor(rgb, lb, out);
  t.equal(lb.padY, 2);
  t.ok(Math.abs(out[0] - 114 / 255) < 1e-6, 'top-left is padding');
  const inside = 3 * 8 + 3; // row 3, col 3
  t.ok(Math.abs(out[inside] - 1) < 1e-6, 'red plane');
  t.ok(Math.abs(out[64 + inside]) < 1e-6, 'green plane');
  t.ok(Math.abs(out[128 + inside] - 0.2) < 1e-6, 'blue plane');
  t.ok(Math.abs(out[63] - 114 / 255) < 1e-6, 'bottom-right is padding');
});

t.test('bad sizes are rejected with the name of the size', async (t) => {
  t.throws(() => computeLetterbox(0, 10, 320, 320), /frameWidth/);
  t.throws(
    () => letterboxToTensor(new Uint8Array(3), computeLetterbox(2, 2, 4, 4), new Float32Array(48)),
    /frame must have 12 bytes/,
  );
});
