import t from 'tap';
import { boxIoU, nmsPerClass } from '../models/box.js';

t.test('IoU of two boxes', async (t) => {
  t.equal(boxIoU([0, 0, 10, 10], 0, [5, 0, 15, 10], 0), 50 / 150);
  t.equal(boxIoU([0, 0, 10, 10], 0, [10, 0, 20, 10], 0), 0, 'touching boxes do not overlap');
  t.equal(boxIoU([0, 0, 10, 10], 0, [0, 0, 10, 10], 0), 1);
});

t.test('NMS suppresses overlaps within a class only, highest score first', async (t) => {
  const boxes = [0, 0, 10, 10, 1, 0, 11, 10, 0, 0, 10, 10, 50, 50, 60, 60];
  const scores = [0.8, 0.9, 0.7, 0.6];
  const classes = [0, 0, 1, 0];
  t.same(
    nmsPerClass(boxes, scores, classes, 0.5),
    [1, 2, 3],
    'box 0 suppressed by box 1 (IoU .82); box 2 is another class',
  );
  t.same(nmsPerClass(boxes, scores, classes, 0.9), [1, 0, 2, 3], 'nothing suppressed at IoU .9');
  t.same(nmsPerClass(boxes, scores, classes, 0.5, 2), [1, 2], 'maxKeep');
});
