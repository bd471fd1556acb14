/**
 * Throughput, latency and event-loop lag of the whole graph against the bare models, in one run
 * (CPU unless the config's providers find a GPU). Prints:
 * 1. bare models: the segmenter's ONNX Runtime sessions alone on pre-letterboxed inputs of the first
 *    `frames` frames of the default recording, and OSNet's alone on the crops the pipeline actually
 *    gave it, in the pipeline's layout (CPU streams × intra-op threads, worker threads, nothing else
 *    running; see bare-sessions.ts), and in one stream on every core for reference;
 * 2. the pipeline on the same frames (every frame, file source), with OSNet and with histograms:
 *    frames/s, the ratio to the bare models' rate, and the event-loop delay p50/p99 meanwhile;
 * 3. a live camera (the simulated RTSP camera at 25 fps, `liveSeconds`): per-frame latency from the
 *    moment the source hands a frame over to the moment its snapshot is published, p50/p95/p99,
 *    with a stage breakdown (wait, segment, embed, track, encode + publish) and the dropped-frame ratio;
 * 4. 1, 2, 4 and 8 cameras on one shared simulated RTSP stream: per-camera and total frames/s,
 *    p95 latency, and the fair share (slowest camera / fastest).
 *
 * usage: npm run build && UV_THREADPOOL_SIZE=32 node --single-threaded-gc dist/bench/throughput.js [frames=200] [liveSeconds=20] [cameras=1,2,4,8] [cpuStreams=0 (auto)] [intraOpThreads=0 (auto)]
 * (liveSeconds=0 stops after the file pipeline)
 * (each live camera keeps up to two libuv threads waiting on GStreamer; the pool is sized at start only)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { lastValueFrom, take, toArray } from 'rxjs';
import { availableParallelism } from 'node:os';
import { pino } from 'pino';
import { DEFAULT_SOURCE } from '../config/command-line.js';
import { parseConfig, projectRoot } from '../config/load.js';
import { modelNotFoundMessage, resolveModelFile } from '../config/model-path.js';
import type { CameraConfig, EdgevisConfig } from '../config/schema.js';
import { cropResizeNormalise } from '../models/crop-resize.js';
import type { Detections } from '../models/detections.js';
import type { Embedder } from '../models/embedder.js';
import type { FrameTiming } from '../models/frame.js';
import { computeLetterbox, letterboxToTensor } from '../models/letterbox.js';
import { MemoryTracker } from '../models/tracking/memory-tracker.js';
import { YoloSegmenter } from '../models/yolo-segmenter.js';
import { gstreamerFrames } from '../operators/sources/gstreamer-frames.js';
import { MessageSequence } from '../operators/wire/message-sequence.js';
import { cameraGraph } from '../pipeline/camera/camera-graph.js';
import { cpuInferenceLayout, ModelRegistry } from '../pipeline/model-selection/model-registry.js';
import { bareRun, type BareWorkload } from './bare-sessions.js';
import { cpuPerFrame, threadCpu } from './thread-cpu.js';
import { percentile as pct } from './percentile.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';

const FRAMES = Number(process.argv[2] ?? 200);
const LIVE_SECONDS = Number(process.argv[3] ?? 20);
const CAMERA_COUNTS = (process.argv[4] ?? '1,2,4,8').split(',').map(Number);
const CPU_STREAMS = Number(process.argv[5] ?? 0);
const INTRA_OP_THREADS = Number(process.argv[6] ?? 0);
const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' });

const configFor = (cameras: EdgevisConfig['cameras'] | Record<string, unknown>[], embedder: 'osnet' | 'histogram') =>
  parseConfig(
    {
      cameras,
      embedder: { kind: embedder },
      model: { classes: ['person'], cpuStreams: CPU_STREAMS, intraOpThreads: INTRA_OP_THREADS },
      publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
    },
    'throughput bench',
  );

const f1 = (v: number) => v.toFixed(1);

// ---- 1. bare models ------------------------------------------------------------------------
const frames = await lastValueFrom(
  gstreamerFrames({
    cameraId: 'bench',
    kind: 'file',
    source: DEFAULT_SOURCE,
    realtime: false,
    folderFps: 10,
    rtspLatencyMs: 200,
    maxFrames: FRAMES,
  }).pipe(take(FRAMES), toArray()),
);
const base = configFor([{ id: 'bench', source: DEFAULT_SOURCE }], 'osnet');
// The same lookup the model registry does (model.path > model.dir > $EDGEVIS_MODEL_DIR > ../shared/models).
const lookup = resolveModelFile(base.model, base.model.file ?? 'yolov8n-seg_fp32.onnx', projectRoot());
if (!lookup.found) throw new Error(modelNotFoundMessage(base.model.file ?? 'yolov8n-seg_fp32.onnx', lookup));
const segPath = lookup.found;
const { segmenter: mainSegmenter } = await YoloSegmenter.load(segPath, base.model);
const osnetPath = segPath.replace(/[^/]+$/, base.embedder.file);
const [W, H] = [mainSegmenter.inputWidth, mainSegmenter.inputHeight];
const tensors = frames.map((f) => {
  const t = new Float32Array(3 * W * H);
  letterboxToTensor(f.rgb, computeLetterbox(f.width, f.height, W, H), t);
  return { data: t, batch: 1 };
});
const detections: Detections[] = [];
for (const f of frames) detections.push(await mainSegmenter.segment(f));
await mainSegmenter.dispose();
// The pipeline's CPU layout (model.cpuStreams, model.intraOpThreads), and one stream on every core for reference.
const layout = cpuInferenceLayout(base.model);
const oneStream = { streams: 1, intraOpThreads: availableParallelism() };
const segmentation: BareWorkload = { model: segPath, inputs: tensors, dims: [3, H, W] };
const { wallMs: segMs, cpuMs: segCpuMs } = await bareRun(segmentation, layout.streams, layout.intraOpThreads);
const segMsOneStream = (await bareRun(segmentation, oneStream.streams, oneStream.intraOpThreads)).wallMs;
const bareSegFps = (1000 * FRAMES) / segMs;

/** OSNet alone on the crops the pipeline embedded (frame index → flags; all when absent), batched per frame as the embedder does, in the given layout. */
async function bareOsnet(
  wanted: Map<number, Uint8Array | null>,
  l = layout,
): Promise<{ ms: number; cpuMs: number; crops: number }> {
  const crops = detections.map((d) => {
    const flags = wanted.get(d.frame.frameIndex);
    const rows = Array.from({ length: d.count }, (_, i) => i).filter((i) => !flags || flags[i]);
    const c = new Float32Array(rows.length * 3 * 256 * 128);
    rows.forEach((row, i) => {
      cropResizeNormalise(d.frame.rgb, d.frame.width, d.frame.height, d.boxes, 4 * row, 128, 256, c, i * 3 * 256 * 128);
    });
    return { data: c, batch: rows.length };
  });
  const { wallMs: ms, cpuMs } = await bareRun(
    { model: osnetPath, inputs: crops, dims: [3, 256, 128] },
    l.streams,
    l.intraOpThreads,
  );
  return { ms, cpuMs, crops: crops.reduce((n, c) => n + c.batch, 0) };
}
console.log(
  `bare models (${FRAMES} frames of ${DEFAULT_SOURCE}, ${segPath.split('/').pop()} at ${W}x${H}, CPU, sessions alone in worker threads):`,
);
console.log(
  `  segmenter, ${layout.streams} stream(s) × ${layout.intraOpThreads} thread(s) (the pipeline's layout): ${f1(segMs / FRAMES)} ms/frame = ${f1(bareSegFps)} fps`,
);
console.log(
  `  segmenter, 1 stream × ${oneStream.intraOpThreads} threads (one inference on every core): ${f1(segMsOneStream / FRAMES)} ms/frame = ${f1((1000 * FRAMES) / segMsOneStream)} fps`,
);

// ---- 2. pipeline on the same frames ----------------------------------------------------------
/**
 * Frames the graph's rate is also measured without: as many as the bare sessions' warm-up runs
 * (3 per stream), which carry their first runs (arena growth) and the JIT compiling the kernels.
 */
const warmFrames = 3 * layout.streams;
/** Runs cameras through the real graph (models from one registry, as the runtime does) until `until` resolves or the sources end. */
async function runGraph(config: EdgevisConfig, seconds?: number) {
  const registry = new ModelRegistry(config, log);
  /** Which instances the embedder was asked for, per frame index (null = all), as the graph ran. */
  const wanted = new Map<number, Uint8Array | null>();
  const recording = (e: Embedder | null): Embedder | null =>
    e && {
      dim: e.dim,
      name: e.name,
      dispose: () => e.dispose(),
      embed: (d, w) => {
        wanted.set(d.frame.frameIndex, w ? w.slice() : null);
        return e.embed(d, w);
      },
    };
  const stages: FrameTiming[] = [];
  const stats = config.cameras.map(() => ({ received: 0, dropped: 0, skippedBySource: 0 }));
  const processed = config.cameras.map(() => ({ n: 0, first: 0, last: 0, warm: 0 }));
  const parts = await Promise.all(
    config.cameras.map(async (c: CameraConfig) => ({
      segmenter: await registry.segmenterFor(c),
      embedder: recording(await registry.embedder()),
      tracker: new MemoryTracker(c.id, config.tracker),
      publishers: [],
      withMasks: true,
      sequence: new MessageSequence(),
    })),
  );
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  const cpuBefore = threadCpu();
  const subs = config.cameras.map(
    (c, i) =>
      new Promise<void>((resolve) => {
        const sub = cameraGraph(c, parts[i], stats[i]).subscribe({
          next: (t) => {
            if (t.kind !== 'frame') return;
            if (t.timing) stages.push(t.timing);
            const p = processed[i];
            const now = performance.now();
            if (p.n === 0) p.first = now;
            if (p.n === warmFrames) p.warm = now;
            p.last = now;
            p.n++;
          },
          complete: resolve,
          error: (e) => {
            log.error(e.message);
            resolve();
          },
        });
        if (seconds)
          setTimeout(() => {
            sub.unsubscribe();
            resolve();
          }, seconds * 1000);
      }),
  );
  await Promise.all(subs);
  const cpu = cpuPerFrame(
    cpuBefore,
    threadCpu(),
    processed.reduce((n, p) => n + p.n, 0),
  );
  lag.disable();
  await registry.dispose();
  const fps = processed.map((p) => (p.n > 1 ? ((p.n - 1) * 1000) / (p.last - p.first) : 0));
  const warmFps = processed.map((p) =>
    p.n > warmFrames + 1 ? ((p.n - 1 - warmFrames) * 1000) / (p.last - p.warm) : 0,
  );
  return {
    fps,
    warmFps,
    cpu,
    processed,
    stats,
    wanted,
    stages: stages.filter((s) => s.publishedAt !== undefined),
    lagP50: lag.percentile(50) / 1e6,
    lagP99: lag.percentile(99) / 1e6,
    lagMax: lag.max / 1e6,
  };
}

console.log(
  `\npipeline on the same ${FRAMES} frames (file, every frame, inference in the worker; bare rates: the segmenter above, plus OSNet on the crops this run embedded):`,
);
for (const embedder of ['osnet', 'histogram'] as const) {
  const r = await runGraph(configFor([{ id: 'file', source: DEFAULT_SOURCE, maxFrames: FRAMES }], embedder));
  let bare = bareSegFps,
    extra = '',
    bareCpuMs = segCpuMs / FRAMES;
  if (embedder === 'osnet') {
    const o = await bareOsnet(r.wanted);
    bareCpuMs += o.cpuMs / FRAMES;
    const all = detections.reduce((n, d) => n + d.count, 0);
    bare = (1000 * FRAMES) / (segMs + o.ms);
    const one = (1000 * FRAMES) / (segMsOneStream + (await bareOsnet(r.wanted, oneStream)).ms);
    extra = ` (bare: segmenter + OSNet on the ${o.crops} of ${all} detections this run embedded, ${f1(o.ms / Math.max(1, o.crops))} ms/crop, = ${f1(bare)} fps; 1 stream × ${oneStream.intraOpThreads} threads: ${f1(one)} fps, ratio ${(r.fps[0] / one).toFixed(2)})`;
  } else {
    extra = ` (1 stream × ${oneStream.intraOpThreads} threads: ratio ${(r.fps[0] / ((1000 * FRAMES) / segMsOneStream)).toFixed(2)})`;
  }
  console.log(
    `  ${embedder.padEnd(9)}: ${f1(r.fps[0])} fps, ratio to the bare model${embedder === 'osnet' ? 's' : ''} ${(r.fps[0] / bare).toFixed(2)}` +
      ` (after the first ${warmFrames} frames, as the bare sessions after their warm-up runs: ${f1(r.warmFps[0])} fps, ratio ${(r.warmFps[0] / bare).toFixed(2)})${extra}; event-loop delay p50 ${f1(r.lagP50)} ms, p99 ${f1(r.lagP99)} ms, max ${f1(r.lagMax)} ms`,
  );
  // Where the cores go: with the models keeping every core busy, the ratio cannot exceed the bare sessions' CPU per frame over the pipeline's.
  if (r.cpu) {
    console.log(
      `             CPU per frame ${r.cpu.total.toFixed(2)} ms (main thread ${r.cpu.main.toFixed(2)}, GStreamer decode + colour conversion ${r.cpu.gstreamer.toFixed(2)}, inference workers and Node's other threads ${r.cpu.node.toFixed(2)})` +
        ` against ${bareCpuMs.toFixed(2)} ms for the bare sessions: ceiling of the ratio on cores the models fill ${(bareCpuMs / r.cpu.total).toFixed(2)}, cores busy ${((r.cpu.total * r.fps[0]) / (1000 * availableParallelism())).toFixed(2)}`,
    );
  }
}

// ---- 3. live latency and 4. cameras -------------------------------------------------------------
if (LIVE_SECONDS <= 0) process.exit(0); // liveSeconds=0: bare models and the file pipeline only
const WARM_MS = 3000;
/** Runs `n` cameras on a fresh simulated RTSP camera (one shared stream at 25 fps) for LIVE_SECONDS + warm-up. */
async function runLive(n: number, embedder: 'osnet' | 'histogram') {
  const server = await startRtspCamera(DEFAULT_SOURCE, { fps: 25, loop: true, mount: 'bench' });
  try {
    return await runGraph(
      configFor(
        Array.from({ length: n }, (_, i) => ({ id: `cam${i + 1}`, source: server.url, slowStallRatio: 0 })),
        embedder,
      ),
      LIVE_SECONDS + WARM_MS / 1000,
    );
  } finally {
    await server.stop();
  }
}
console.log(
  `\nlive camera (simulated RTSP, 25 fps, ${LIVE_SECONDS} s, after ${WARM_MS / 1000} s warm-up), latency from the source handing a frame over to its snapshot published, ms:`,
);
for (const embedder of ['osnet', 'histogram'] as const) {
  const r = await runLive(1, embedder);
  const st = r.stages.filter((s) => s.receivedAt - r.stages[0].receivedAt > WARM_MS);
  const total = st.map((s) => s.publishedAt! - s.receivedAt);
  const stage = (f: (s: FrameTiming) => number) => `${f1(pct(st.map(f), 50))}/${f1(pct(st.map(f), 95))}`;
  const embedded = (s: FrameTiming) => s.embedEndAt ?? s.segmentEndAt!;
  const received = r.stats[0].received + r.stats[0].skippedBySource;
  console.log(
    `  ${embedder.padEnd(9)}: p50 ${f1(pct(total, 50))}  p95 ${f1(pct(total, 95))}  p99 ${f1(pct(total, 99))}; ${f1(r.fps[0])} fps processed, ${((100 * (r.stats[0].dropped + r.stats[0].skippedBySource)) / Math.max(1, received)).toFixed(0)} % of frames dropped; event-loop p99 ${f1(r.lagP99)} ms`,
  );
  console.log(
    `             stages p50/p95: wait ${stage((s) => s.segmentStartAt! - s.receivedAt)}, segment ${stage((s) => s.segmentEndAt! - s.segmentStartAt!)} (of which in the worker ${stage((s) => s.segmentWorkerMs ?? 0)}), embed ${stage((s) => embedded(s) - s.segmentEndAt!)}, track ${stage((s) => s.trackEndAt! - embedded(s))}, encode+publish ${stage((s) => s.publishedAt! - s.trackEndAt!)}`,
  );
  console.log(
    `             beyond inference (total − segment − embed stages) p95 ${f1(
      pct(
        st.map((s) => s.publishedAt! - s.receivedAt - (embedded(s) - s.segmentStartAt!)),
        95,
      ),
    )}, beyond the worker's segmentation time p95 ${f1(
      pct(
        st.map((s) => s.publishedAt! - s.receivedAt - (s.segmentWorkerMs ?? 0) - (embedded(s) - s.segmentEndAt!)),
        95,
      ),
    )}`,
  );
}
console.log(`\ncameras on one simulated RTSP stream (25 fps each, OSNet, ${LIVE_SECONDS} s):`);
console.log('  cameras | fps per camera (min-max) | total fps | p95 latency ms | fair share | stages, ms');
for (const n of CAMERA_COUNTS) {
  const r = await runLive(n, 'osnet');
  const st = r.stages.filter((s) => s.receivedAt - r.stages[0].receivedAt > WARM_MS);
  const total = r.fps.reduce((a, b) => a + b, 0);
  const p95 = pct(
    st.map((s) => s.publishedAt! - s.receivedAt),
    95,
  );
  const med = (f: (s: FrameTiming) => number) => f1(pct(st.map(f), 50));
  console.log(
    `  ${String(n).padStart(7)} | ${f1(Math.min(...r.fps))}-${f1(Math.max(...r.fps))} | ${f1(total)} | ${f1(p95)} | ${(Math.min(...r.fps) / Math.max(...r.fps)).toFixed(2)}` +
      ` | p50 wait ${med((s) => s.segmentStartAt! - s.receivedAt)}, segment ${med((s) => s.segmentEndAt! - s.segmentStartAt!)} (worker ${med((s) => s.segmentWorkerMs ?? 0)}), embed ${med((s) => (s.embedEndAt ?? s.segmentEndAt!) - s.segmentEndAt!)}`,
  );
}
process.exit(0);
