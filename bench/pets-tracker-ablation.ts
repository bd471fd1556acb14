/**
 * Tracker ablation on PETS09-S2L1 frames 1-400 (the acceptance set): the real model
 * segments the frames once (persons), both embedders embed them, then each tracker runs on the
 * same detections and `edgevis eval`'s code scores it against ../shared/datasets/pets09-s2l1.
 * Prints HOTA, DetA, AssA, MOTA, IDF1, IDSW per tracker and the embedders' ms per frame.
 *
 * With `DROPS=1`, also the effect of dropped frames (a live camera whose model is slower than
 * its frame rate): the OSNet tracker on every 2nd, every 3rd and a random half of the frames,
 * scored on the frames it saw, once with their real media time (the motion model steps across
 * the gap) and once as if each kept frame followed the last by one interval (how it was before).
 *
 * usage: npm run build && [DROPS=1] node dist/bench/pets-tracker-ablation.js [frames=400] [model file=the default, yolov8n-seg_fp32.onnx]
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { concatMap, lastValueFrom, tap, toArray } from 'rxjs';
import { parseConfig, projectRoot } from '../config/load.js';
import { parseMotChallenge, type MotRow } from '../eval/formats/mot-challenge.js';
import { motChallengeSequence } from '../eval/mot-challenge-sequence.js';
import { scoreTracking } from '../eval/score-tracking.js';
import type { Detections } from '../models/detections.js';
import { embeddedCount, withEmbeddings } from '../models/detections.js';
import { HistogramEmbedder } from '../models/histogram-embedder.js';
import { OsnetEmbedder } from '../models/osnet-embedder.js';
import { GreedyIouTracker } from '../models/tracking/greedy-iou-tracker.js';
import { MemoryTracker } from '../models/tracking/memory-tracker.js';
import type { Tracker } from '../models/tracker.js';
import { YoloSegmenter } from '../models/yolo-segmenter.js';
import { FrameCredit } from '../operators/backpressure/frame-credit.js';
import { gstreamerFrames } from '../operators/sources/gstreamer-frames.js';

const frames = Number(process.argv[2] ?? 400);
const shared = process.env.EDGEVIS_SHARED ?? resolve(projectRoot(), '..', 'shared');
const video = resolve(shared, 'datasets/pets09-s2l1/vtest.avi');
const gtFile = resolve(shared, 'datasets/pets09-s2l1/gt/gt.txt');
const config = parseConfig(
  {
    cameras: [{ id: 'pets', source: video }],
    model: { executionProviders: ['cpu'], classes: ['person'], file: process.argv[3] ?? 'yolov8n-seg_fp32.onnx' },
  },
  'bench',
);
const modelFile = config.model.file!;

/** Detections of every frame with both embeddings, frames without pixels (memory). */
export interface CachedFrame {
  plain: Detections;
  histogram: Detections;
  osnet: Detections;
}

export async function segmentPets(
  n: number,
): Promise<{ cached: CachedFrame[]; segmentMs: number; histogramMs: number; osnetMs: number; crops: number }> {
  const { segmenter } = await YoloSegmenter.load(resolve(shared, 'models', modelFile), config.model);
  const { embedder: osnet } = await OsnetEmbedder.load(resolve(shared, 'models', config.embedder.file), ['cpu']);
  const histogram = new HistogramEmbedder();
  const credit = new FrameCredit(1);
  let segmentMs = 0,
    histogramMs = 0,
    osnetMs = 0,
    crops = 0;
  const cached = await lastValueFrom(
    gstreamerFrames(
      { cameraId: 'pets', kind: 'file', source: video, realtime: false, maxFrames: n, folderFps: 10, rtspLatencyMs: 0 },
      credit,
    ).pipe(
      concatMap(async (frame) => {
        const det = await segmenter.segment(frame);
        segmentMs += det.inferenceMs;
        let t0 = performance.now();
        const h = histogram.embedSync(det);
        histogramMs += performance.now() - t0;
        t0 = performance.now();
        const o = await osnet.embedBoxes(det);
        osnetMs += performance.now() - t0;
        crops += det.count;
        const bare = { ...det, frame: { ...frame, rgb: new Uint8Array(0) } };
        return {
          plain: bare,
          histogram: withEmbeddings(bare, h, histogram.dim),
          osnet: withEmbeddings(bare, o, osnet.dim),
        };
      }),
      tap(() => credit.release()),
      toArray(),
    ),
  );
  await segmenter.dispose();
  await osnet.dispose();
  return { cached, segmentMs, histogramMs, osnetMs, crops };
}

/**
 * Runs a tracker over cached detections; rows as published (the tracks of each frame's snapshot).
 * As in the graph, only the embeddings the tracker asks for (`appearanceDemand`) reach it; `stats`
 * counts them against all detections.
 */
export function runTracker(
  cached: readonly CachedFrame[],
  which: 'plain' | 'histogram' | 'osnet',
  tracker: Tracker,
  stats = { detections: 0, embedded: 0 },
): MotRow[] {
  return cached.flatMap((f) => {
    let det = f[which];
    if (det.embeddings) {
      const wanted = tracker.appearanceDemand?.(det) ?? null;
      if (wanted) det = withEmbeddings(det, det.embeddings, det.embeddingDim, wanted);
      stats.detections += det.count;
      stats.embedded += embeddedCount(det);
    }
    return tracker.update(det).active.map((a) => ({
      frame: f.plain.frame.frameIndex + 1,
      id: a.trackId,
      left: a.box[0],
      top: a.box[1],
      width: a.box[2] - a.box[0],
      height: a.box[3] - a.box[1],
      conf: a.score,
      classId: -1,
    }));
  });
}

export function scorePets(pred: MotRow[], n: number, keptFrames?: ReadonlySet<number>) {
  const all = parseMotChallenge(readFileSync(gtFile, 'utf8'), gtFile);
  const gt = keptFrames ? all.filter((r) => keptFrames.has(r.frame)) : all;
  return scoreTracking([motChallengeSequence('PETS09-S2L1', gt, pred, { first: 1, last: Math.min(n, 400) }, 'MOT15')])
    .combined;
}

async function main(): Promise<void> {
  const { cached, segmentMs, histogramMs, osnetMs, crops } = await segmentPets(frames);
  const refresh =
    process.env.REFRESH !== undefined ? Number(process.env.REFRESH) : config.tracker.appearanceRefreshFrames;
  const memory = (appearanceRefreshFrames = refresh) =>
    new MemoryTracker('pets', { ...config.tracker, appearanceRefreshFrames });
  const embedded = (label: string, s: { detections: number; embedded: number }) =>
    `${label} (${s.embedded} of ${s.detections} detections embedded)`;
  const [hist, osnet, osnetAll] = [
    { detections: 0, embedded: 0 },
    { detections: 0, embedded: 0 },
    { detections: 0, embedded: 0 },
  ];
  const rows: [string, MotRow[]][] = [
    ['greedy IoU (score ≥ 0.4)', runTracker(cached, 'plain', new GreedyIouTracker('pets'))],
    ['memory tracker, no appearance', runTracker(cached, 'plain', memory())],
    ['memory tracker + colour histograms', runTracker(cached, 'histogram', memory(), hist)],
    ['memory tracker + OSNet re-id', runTracker(cached, 'osnet', memory(), osnet)],
    ['memory tracker + OSNet re-id, every detection embedded', runTracker(cached, 'osnet', memory(0), osnetAll)],
  ];
  rows[2][0] = embedded(rows[2][0], hist);
  rows[3][0] = embedded(rows[3][0], osnet);
  rows[4][0] = embedded(rows[4][0], osnetAll);
  const pct = (v: number) => (100 * v).toFixed(1).padStart(5);
  process.stdout.write(
    `PETS09-S2L1 frames 1-${Math.min(frames, 400)}, ${modelFile.replace(/\.onnx$/, '')} persons, TrackEval definitions (MOT15)\n`,
  );
  process.stdout.write(
    '| tracker | HOTA | DetA | AssA | MOTA | IDF1 | ID switches |\n| --- | --- | --- | --- | --- | --- | --- |\n',
  );
  for (const [name, pred] of rows) {
    const s = scorePets(pred, frames);
    process.stdout.write(
      `| ${name} | ${pct(s.hota.HOTA)} | ${pct(s.hota.DetA)} | ${pct(s.hota.AssA)} | ${pct(s.clear.MOTA)} | ${pct(s.identity.IDF1)} | ${s.clear.idsw} |\n`,
    );
  }
  if (process.env.DROPS) {
    // A seeded generator, so the random pattern is the same in every run.
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const patterns: [string, (i: number) => boolean][] = [
      ['every frame', () => true],
      ['every 2nd frame', (i) => i % 2 === 0],
      ['every 3rd frame', (i) => i % 3 === 0],
      ['a random half', () => random() < 0.5],
    ];
    process.stdout.write(
      '\nDropped frames (OSNet; scored on the frames the tracker saw):\n| frames processed | motion stepped by media time | HOTA | AssA | IDF1 | ID switches |\n| --- | --- | --- | --- | --- | --- |\n',
    );
    for (const [label, keep] of patterns) {
      const kept = cached.filter((_, i) => keep(i));
      const keptFrames = new Set(kept.map((f) => f.plain.frame.frameIndex + 1));
      // As before the fix: each kept frame one interval after the last, whatever was dropped between.
      const stepMs = cached.length > 1 ? cached[1].plain.frame.ptsMs - cached[0].plain.frame.ptsMs : 100;
      const asConsecutive = kept.map((f, i) => {
        const re = (d: Detections) => ({ ...d, frame: { ...d.frame, ptsMs: i * stepMs, frameIntervalMs: stepMs } });
        return { plain: re(f.plain), histogram: re(f.histogram), osnet: re(f.osnet) };
      });
      for (const [how, frames_] of [
        ['yes', kept],
        ['no (gaps ignored)', asConsecutive],
      ] as const) {
        const sc = scorePets(runTracker(frames_, 'osnet', memory()), frames, keptFrames);
        process.stdout.write(
          `| ${label} (${kept.length}) | ${how} | ${pct(sc.hota.HOTA)} | ${pct(sc.hota.AssA)} | ${pct(sc.identity.IDF1)} | ${sc.clear.idsw} |\n`,
        );
        if (label === 'every frame') break;
      }
    }
  }
  const n = cached.length;
  process.stdout.write(
    `\nper frame (${n} frames, ${(crops / n).toFixed(1)} person crops/frame, CPU): segmenter ${(segmentMs / n).toFixed(1)} ms, ` +
      `histogram embedder ${(histogramMs / n).toFixed(2)} ms, OSNet embedder ${(osnetMs / n).toFixed(1)} ms (${(osnetMs / Math.max(1, crops)).toFixed(2)} ms/crop)\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
