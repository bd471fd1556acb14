// The histogram embedder against a direct count: each pixel of the box, kept when its mask (which
// may be offset from the box, or cover only part of it) says so, binned in the upper or lower half.
import t from 'tap';
import { HistogramEmbedder } from '../models/histogram-embedder.js';
import type { InstanceMask } from '../models/instance-mask.js';
import { blankFrame, makeDetections } from './helpers/fixtures.js';

function reference(
  rgb: Uint8Array,
  width: number,
  height: number,
  box: number[],
  mask: InstanceMask | null,
): Float32Array {
  const out = new Float32Array(128);
  const x0 = Math.max(0, Math.floor(box[0])),
    y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(width, Math.ceil(box[2])),
    y1 = Math.min(height, Math.ceil(box[3])),
    mid = (y0 + y1) / 2;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      if (mask) {
        const mx = x - mask.left,
          my = y - mask.top;
        if (mx < 0 || my < 0 || mx >= mask.width || my >= mask.height || !mask.data[my * mask.width + mx]) continue;
      }
      const p = 3 * (y * width + x);
      out[(y < mid ? 0 : 64) + (rgb[p] >> 6) * 16 + (rgb[p + 1] >> 6) * 4 + (rgb[p + 2] >> 6)]++;
    }
  }
  const roots = out.map(Math.sqrt); // float32, as the embedder stores them
  const norm = Math.sqrt(roots.reduce((a, v) => a + v ** 2, 0)) || 1;
  return roots.map((v) => v / norm);
}

t.test('the same embeddings as counting every pixel of the box through its mask', async (t) => {
  const frame = blankFrame('h', 0, 61, 47);
  frame.rgb.forEach((_, i) => {
    frame.rgb[i] = ((i * 2654435761) >>> 11) & 255;
  });
  const boxes: [number, number, number, number][] = [
    [5.5, 3.2, 30.7, 40.1],
    [-4, -2, 20, 15],
    [40, 30, 70, 60],
    [10, 10, 25, 25],
  ];
  const checker = (w: number, h: number) =>
    new Uint8Array(w * h).map((_, i) => (((i % w) + Math.floor(i / w)) % 3 ? 1 : 0));
  const masks: (InstanceMask | null)[] = [
    { left: 5, top: 3, width: 26, height: 38, data: checker(26, 38) }, // the box's own window
    { left: 0, top: 0, width: 12, height: 9, data: checker(12, 9) }, // covers only the top-left of the box
    null, // no mask: the whole box (clipped to the frame)
    { left: 2, top: 20, width: 30, height: 20, data: checker(30, 20) }, // wider than the box, lower part only
  ];
  const detections = {
    ...makeDetections(
      frame,
      boxes.map((box) => ({ box })),
    ),
    masks,
  };
  const got = new HistogramEmbedder().embedSync(detections);
  boxes.forEach((box, i) => {
    t.same(
      got.subarray(128 * i, 128 * (i + 1)),
      reference(frame.rgb, 61, 47, box.map(Math.fround), masks[i]),
      `box ${i}`,
    );
  });
  const some = new HistogramEmbedder().embedSync(detections, Uint8Array.from([0, 1, 0, 0]));
  t.ok(
    some.subarray(0, 128).every((v) => v === 0) && some.subarray(256).every((v) => v === 0),
    'rows not wanted stay zero',
  );
  t.same(some.subarray(128, 256), got.subarray(128, 256), 'the wanted row as before');
});
