// YoloSegDecoder on a synthetic head: class choice, thresholds, NMS and the letterbox mapping (pure, no model).
import t from 'tap';
import { computeLetterbox } from '../models/letterbox.js';
import { YoloSegDecoder } from '../models/yolo-seg-decoder.js';
import type { YoloSegModelInfo } from '../models/yolo-seg-model.js';
import { blankFrame } from './helpers/fixtures.js';

const info: YoloSegModelInfo = {
  inputName: 'images',
  inputWidth: 64,
  inputHeight: 64,
  anchors: 4,
  maskCoefficients: 1,
  protoHeight: 16,
  protoWidth: 16,
  classNames: ['person', 'car', 'dog'],
};
const options = {
  confidenceThreshold: 0.25,
  nmsIouThreshold: 0.7,
  maxDetections: 10,
  classes: [] as string[],
  maskThreshold: 0.5,
};

/** Head [4 + 3 classes + 1 coefficient, 4 anchors], class-major as the model writes it. */
function head(anchors: { box: [number, number, number, number]; scores: [number, number, number] }[]): Float32Array {
  const n = info.anchors,
    h = new Float32Array(8 * n);
  anchors.forEach((a, i) => {
    a.box.forEach((v, k) => {
      h[k * n + i] = v;
    });
    a.scores.forEach((v, c) => {
      h[(4 + c) * n + i] = v;
    });
    h[7 * n + i] = 5; // mask coefficient: with prototypes of 1, the whole box is inside the mask
  });
  return h;
}
const protos = { data: new Float32Array(16 * 16).fill(1), count: 1, height: 16, width: 16 };

t.test('best class per anchor, threshold, NMS, boxes mapped back through the letterbox', async (t) => {
  const frame = blankFrame('cam', 0, 128, 64); // letterboxed into 64x64: scale 0.5, 16 px of padding top and bottom
  const lb = computeLetterbox(128, 64, 64, 64);
  const h = head([
    { box: [20, 32, 8, 16], scores: [0.2, 0.9, 0.3] }, // a car
    { box: [20.5, 32, 8, 16], scores: [0.1, 0.8, 0.0] }, // the same car again, lower: suppressed by NMS
    { box: [44, 32, 8, 16], scores: [0.6, 0.1, 0.6] }, // a tie: the later class wins (dog), as in the all-class scan
    { box: [10, 10, 4, 4], scores: [0.2, 0.1, 0.24] }, // below the threshold
  ]);
  const d = new YoloSegDecoder(info, options).decode(frame, lb, h, protos);
  t.equal(d.count, 2);
  t.same([...d.classIds], [1, 2]);
  t.same(
    [...d.scores].map((s) => +s.toFixed(2)),
    [0.9, 0.6],
  );
  t.same([...d.boxes.subarray(0, 4)], [32, 16, 48, 48], 'car box in frame pixels: ((x - pad) / scale)');
  t.ok(
    d.masks[0]?.data.every((v) => v === 1),
    'mask fills the box',
  );
});

t.test('only the allowed classes compete', async (t) => {
  const frame = blankFrame('cam', 0, 64, 64);
  const lb = computeLetterbox(64, 64, 64, 64);
  const h = head([
    { box: [20, 20, 8, 8], scores: [0.4, 0.9, 0.1] },
    { box: [40, 40, 8, 8], scores: [0.1, 0.9, 0.2] },
    { box: [0, 0, 0, 0], scores: [0, 0, 0] },
    { box: [0, 0, 0, 0], scores: [0, 0, 0] },
  ]);
  const d = new YoloSegDecoder(info, { ...options, classes: ['person'] }).decode(frame, lb, h, protos);
  t.same(
    [...d.classIds],
    [0],
    'the person score 0.4 counts although car scores higher; the other anchor has no person above the threshold',
  );
  t.throws(() => new YoloSegDecoder(info, { ...options, classes: ['horse'] }), /no class named 'horse'/);
});
