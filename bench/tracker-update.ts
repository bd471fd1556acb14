/**
 * Tracker update cost at scale: 100 live (confirmed) tracks and 100 detections per frame with
 * 512-d appearance embeddings given (OSNet's size), 1920×1080 frames, objects walking. Prints the
 * mean and 95th-percentile ms per `MemoryTracker.update` and the ratio to the 1 ms budget.
 *
 * usage: npm run build && node dist/bench/tracker-update.js [tracks=100] [frames=500]
 */
import { parseConfig } from '../config/load.js';
import type { Detections } from '../models/detections.js';
import { MemoryTracker } from '../models/tracking/memory-tracker.js';

const N = Number(process.argv[2] ?? 100),
  FRAMES = Number(process.argv[3] ?? 500),
  DIM = 512,
  WARMUP = 30;
const options = parseConfig({ cameras: [{ id: 'bench', source: 'x' }] }, 'bench').tracker;

let seed = 1;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
// 100 people on a 10 × 10 grid of 192 × 108 cells, each with its own appearance and velocity.
const people = Array.from({ length: N }, (_, i) => {
  const e = Float32Array.from({ length: DIM }, () => rand() - 0.5);
  const norm = Math.hypot(...e);
  return {
    x: (i % 10) * 192 + 70,
    y: Math.floor(i / 10) * 108 + 20,
    vx: rand() - 0.5,
    vy: rand() - 0.5,
    e: e.map((v) => v / norm),
  };
});

function detectionsAt(frameIndex: number): Detections {
  const boxes = new Float32Array(4 * N),
    embeddings = new Float32Array(N * DIM);
  people.forEach((p, i) => {
    const x = p.x + p.vx * frameIndex,
      y = p.y + p.vy * frameIndex;
    boxes.set([x, y, x + 40, y + 80], 4 * i);
    for (let k = 0; k < DIM; k++) embeddings[i * DIM + k] = p.e[k] + (rand() - 0.5) * 0.01;
  });
  return {
    frame: {
      cameraId: 'bench',
      frameIndex,
      ptsMs: frameIndex * 100,
      width: 1920,
      height: 1080,
      rgb: new Uint8Array(0),
    },
    count: N,
    boxes,
    scores: new Float32Array(N).fill(0.9),
    classIds: new Int32Array(N),
    classNames: ['person'],
    masks: new Array(N).fill(null),
    embeddings,
    embeddingDim: DIM,
    inferenceMs: 0,
  };
}

const tracker = new MemoryTracker('bench', options);
const inputs = Array.from({ length: WARMUP + FRAMES }, (_, f) => detectionsAt(f));
const times: number[] = [];
let active = 0;
inputs.forEach((det, f) => {
  const t0 = performance.now();
  const out = tracker.update(det);
  const ms = performance.now() - t0;
  if (f >= WARMUP) {
    times.push(ms);
    active = out.active.length;
  }
});
times.sort((a, b) => a - b);
const mean = times.reduce((s, v) => s + v, 0) / times.length;
const p95 = times[Math.floor(0.95 * times.length)];
process.stdout.write(
  `tracker update, ${active} confirmed tracks × ${N} detections (${DIM}-d embeddings), ${FRAMES} frames:\n` +
    `  mean ${mean.toFixed(3)} ms, p95 ${p95.toFixed(3)} ms; mean / 1 ms budget = ${mean.toFixed(2)}\n`,
);
