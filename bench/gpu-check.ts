/**
 * The GPU check of issue 10 (point 6), for a machine with a GPU; needs no GStreamer, so it also
 * runs from the kit `bench/gpu-kit.sh` packs. Prints, in one run:
 * 1. the GPU (nvidia-smi) and the provider each model loaded on (WebGPU: Dawn over Vulkan);
 * 2. parity on the same frames: the segmenter's detections on WebGPU against the CPU's (greedy
 *    one-to-one matching by class and IoU; boxes within 1 px on every side, same classes, score
 *    differences), and OSNet's embeddings of the CPU detections' crops (cosine similarity);
 * 3. speed: the bare sessions (ms per frame, ms per crop) on WebGPU and on the CPU;
 * 4. the graph on WebGPU (segment → embed → track, models in their inference worker, GPU sessions
 *    in one queue) fed by K cameras at 25 frames/s each from decoded frames in memory: per-camera
 *    and total frames/s, p95 latency, and whether every camera keeps 25 frames/s.
 * Exits 3 when WebGPU does not load (the reasons are printed).
 *
 * usage: node dist/bench/gpu-check.js <folder of JPEG/PNG frames> [frames=60] [cameras=1,4,8,16,32] [seconds=10]
 * (models from $EDGEVIS_MODEL_DIR or ../shared/models; GPU_CHECK_PROVIDER=cpu runs the "GPU" side on
 * the CPU: a dry run of this script on a machine without a GPU)
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { interval, map, Subscription } from 'rxjs';
import { parseConfig, projectRoot } from '../config/load.js';
import { modelNotFoundMessage, resolveModelFile } from '../config/model-path.js';
import { boxIoU } from '../models/box.js';
import type { Detections } from '../models/detections.js';
import type { Frame } from '../models/frame.js';
import { computeLetterbox, letterboxToTensor } from '../models/letterbox.js';
import type { ExecutionProvider } from '../models/onnx-session.js';
import { OsnetEmbedder } from '../models/osnet-embedder.js';
import { MemoryTracker } from '../models/tracking/memory-tracker.js';
import { rawOutputSizes } from '../models/yolo-seg-model.js';
import { YoloSegmenter } from '../models/yolo-segmenter.js';
import { FrameCredit } from '../operators/backpressure/frame-credit.js';
import { MessageSequence } from '../operators/wire/message-sequence.js';
import { processFrames } from '../pipeline/camera/camera-graph.js';
import { listFrameFiles, readImageRgb } from '../operators/sources/frame-folder-frames.js';
import { ModelRegistry } from '../pipeline/model-selection/model-registry.js';
import { percentile as pct } from './percentile.js';
import { pino } from 'pino';

const [dir, framesArg = '60', camerasArg = '1,4,8,16,32', secondsArg = '10'] = process.argv.slice(2);
if (!dir) {
  console.error(
    'usage: node dist/bench/gpu-check.js <folder of frames> [frames=60] [cameras=1,4,8,16,32] [seconds=10]',
  );
  process.exit(2);
}
const FPS = 25;
const GPU: ExecutionProvider = process.env.GPU_CHECK_PROVIDER === 'cpu' ? 'cpu' : 'webgpu';
const GPU_LABEL = GPU === 'webgpu' ? 'WebGPU' : 'CPU (dry run)';
const log = pino({ level: process.env.LOG_LEVEL ?? 'warn' });
const f1 = (v: number) => v.toFixed(1);

// ---- 1. frames, models, the GPU -------------------------------------------------------------------
const files = (await listFrameFiles(dir)).slice(0, Number(framesArg));
const frames: Frame[] = [];
for (const [i, file] of files.entries())
  frames.push({ cameraId: 'gpu', frameIndex: i, ptsMs: (i * 1000) / FPS, ...(await readImageRgb(join(dir, file))) });
const base = parseConfig({ cameras: [{ id: 'gpu', source: dir }] }, 'gpu check');
const lookup = resolveModelFile(base.model, base.model.file ?? 'yolov8n-seg_fp32.onnx', projectRoot());
if (!lookup.found) throw new Error(modelNotFoundMessage(base.model.file ?? 'yolov8n-seg_fp32.onnx', lookup));
const segPath = lookup.found;
const osnetPath = segPath.replace(/[^/]+$/, base.embedder.file);
let gpuName = 'unknown (nvidia-smi not found)';
try {
  gpuName = execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], {
    encoding: 'utf8',
  }).trim();
} catch {
  /* no NVIDIA tools */
}
console.log(
  `GPU: ${gpuName}\n${frames.length} frames of ${dir} (${frames[0]?.width}x${frames[0]?.height}), ${segPath.split('/').pop()}, ${osnetPath.split('/').pop()}`,
);

const segOptions = (providers: ExecutionProvider[]) => ({
  ...base.model,
  executionProviders: providers,
  classes: [] as string[],
});
const { segmenter: cpuSeg } = await YoloSegmenter.load(segPath, segOptions(['cpu']));
const { segmenter: gpuSeg, fallbacks } = await YoloSegmenter.load(segPath, segOptions([GPU, 'cpu']));
if (gpuSeg.executionProvider !== GPU) {
  console.log(
    `${GPU_LABEL} did not load the segmenter: ${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join('; ') || 'no reason given'}`,
  );
  process.exit(3);
}
const { embedder: cpuEmb } = await OsnetEmbedder.load(osnetPath, ['cpu']);
const { embedder: gpuEmb } = await OsnetEmbedder.load(osnetPath, [GPU, 'cpu']);
console.log(`providers: segmenter ${gpuSeg.executionProvider}, OSNet ${gpuEmb.executionProvider}`);

// ---- 2. parity ----------------------------------------------------------------------------------
let cpuCount = 0,
  gpuCount = 0,
  matched = 0,
  within1px = 0,
  maxDelta = 0,
  maxScoreDelta = 0;
const cosines: number[] = [];
/** The CPU's detections of the frame with the most of them (OSNet's timing batch). */
let busiest: Detections | null = null;
const box = (d: Detections, i: number) => Array.from(d.boxes.subarray(4 * i, 4 * i + 4));
for (const frame of frames) {
  // One model at a time, never two GPU sessions at once (onnxruntime issue 32561).
  const cpu = await cpuSeg.segment(frame);
  const gpu = await gpuSeg.segment(frame);
  cpuCount += cpu.count;
  gpuCount += gpu.count;
  if (!busiest || cpu.count > busiest.count) busiest = cpu;
  const used = new Set<number>();
  for (let i = 0; i < cpu.count; i++) {
    let best = -1,
      bestIoU = 0.5;
    for (let j = 0; j < gpu.count; j++) {
      if (used.has(j) || gpu.classIds[j] !== cpu.classIds[i]) continue;
      const iou = boxIoU(cpu.boxes, i, gpu.boxes, j);
      if (iou > bestIoU) {
        bestIoU = iou;
        best = j;
      }
    }
    if (best < 0) continue;
    used.add(best);
    matched++;
    const delta = Math.max(...box(cpu, i).map((v, k) => Math.abs(v - box(gpu, best)[k])));
    maxDelta = Math.max(maxDelta, delta);
    if (delta <= 1) within1px++;
    maxScoreDelta = Math.max(maxScoreDelta, Math.abs(cpu.scores[i] - gpu.scores[best]));
  }
  if (cpu.count === 0) continue;
  const a = await cpuEmb.embed(cpu),
    b = await gpuEmb.embed(cpu);
  for (let i = 0; i < cpu.count; i++) {
    let dot = 0;
    for (let k = 0; k < a.embeddingDim; k++)
      dot += a.embeddings![i * a.embeddingDim + k] * b.embeddings![i * b.embeddingDim + k];
    cosines.push(dot);
  }
}
console.log(`\nparity, ${GPU_LABEL} against CPU (${frames.length} frames, all classes):`);
console.log(
  `  detections: CPU ${cpuCount}, ${GPU_LABEL} ${gpuCount}; matched one-to-one (same class, IoU > 0.5) ${matched}; boxes within 1 px on every side ${within1px} of ${matched} (largest difference ${maxDelta.toFixed(2)} px); largest score difference ${maxScoreDelta.toFixed(4)}`,
);
console.log(
  `  OSNet on the ${cosines.length} CPU detections: cosine similarity min ${Math.min(...cosines).toFixed(5)}, median ${pct(cosines, 50).toFixed(5)}`,
);

// ---- 3. bare sessions ---------------------------------------------------------------------------
const tensor = new Float32Array(3 * gpuSeg.inputWidth * gpuSeg.inputHeight);
letterboxToTensor(
  frames[0].rgb,
  computeLetterbox(frames[0].width, frames[0].height, gpuSeg.inputWidth, gpuSeg.inputHeight),
  tensor,
);
const [headSize, protoSize] = rawOutputSizes(gpuSeg.info);
const outputs = { head: new Float32Array(headSize), protos: new Float32Array(protoSize) };
const timeMs = async (run: () => Promise<unknown>, n: number) => {
  for (let i = 0; i < 3; i++) await run();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await run();
  return (performance.now() - t0) / n;
};
const segGpuMs = await timeMs(() => gpuSeg.infer(tensor, outputs), 100);
const segCpuMs = await timeMs(() => cpuSeg.infer(tensor, outputs), 30);
const detections = busiest ?? (await cpuSeg.segment(frames[0]));
const crops = Math.max(1, detections.count);
const embGpuMs = (await timeMs(() => gpuEmb.embed(detections), 50)) / crops;
const embCpuMs = (await timeMs(() => cpuEmb.embed(detections), 20)) / crops;
console.log(`\nbare sessions, in this thread (after 3 warm-up runs):`);
console.log(
  `  segmenter: ${GPU_LABEL} ${f1(segGpuMs)} ms/frame (${f1(1000 / segGpuMs)} fps), CPU ${f1(segCpuMs)} ms/frame`,
);
console.log(
  `  OSNet: ${GPU_LABEL} ${embGpuMs.toFixed(2)} ms/crop, CPU ${embCpuMs.toFixed(2)} ms/crop (batches of ${crops})`,
);
await Promise.all([cpuSeg.dispose(), gpuSeg.dispose(), cpuEmb.dispose(), gpuEmb.dispose()]);

// ---- 4. the graph on WebGPU, K cameras at 25 frames/s ------------------------------------------
console.log(
  `\ngraph on ${GPU_LABEL} (inference worker, one GPU queue), cameras fed ${FPS} frames/s each from memory, ${secondsArg} s after 2 s:`,
);
console.log('  cameras | fps per camera (min-max) | total fps | p95 latency ms | every camera at 25 fps');
for (const k of camerasArg.split(',').map(Number)) {
  const config = parseConfig(
    {
      cameras: Array.from({ length: k }, (_, i) => ({ id: `cam${i}`, source: dir })),
      model: { executionProviders: [GPU, 'cpu'] },
      publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
    },
    'gpu check',
  );
  const registry = new ModelRegistry(config, log);
  const counts = config.cameras.map(() => ({ n: 0, latencies: [] as number[] }));
  let measuring = false;
  const subscriptions = new Subscription();
  for (const [i, camera] of config.cameras.entries()) {
    const segmenter = await registry.segmenterFor(camera);
    const embedder = await registry.embedder();
    const tracker = new MemoryTracker(camera.id, config.tracker);
    const credit = new FrameCredit(1);
    const stats = { received: 0, dropped: 0, skippedBySource: 0 };
    const source = interval(1000 / FPS).pipe(
      map((n): Frame => {
        const f = frames[n % frames.length];
        return {
          ...f,
          cameraId: camera.id,
          frameIndex: n,
          ptsMs: (n * 1000) / FPS,
          timing: { receivedAt: performance.now(), sourceWaitMs: 0 },
        };
      }),
    );
    const parts = { segmenter, embedder, tracker, publishers: [], withMasks: true, sequence: new MessageSequence() };
    subscriptions.add(
      processFrames(source, 'latest', credit, camera, parts, stats).subscribe((t) => {
        if (!measuring || t.kind !== 'frame') return;
        counts[i].n++;
        if (t.timing) counts[i].latencies.push(performance.now() - t.timing.receivedAt);
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 2000));
  measuring = true;
  await new Promise((r) => setTimeout(r, Number(secondsArg) * 1000));
  measuring = false;
  subscriptions.unsubscribe();
  await registry.dispose();
  const fps = counts.map((c) => c.n / Number(secondsArg));
  const p95 = pct(
    counts.flatMap((c) => c.latencies),
    95,
  );
  console.log(
    `  ${String(k).padStart(7)} | ${f1(Math.min(...fps))}-${f1(Math.max(...fps))} | ${f1(fps.reduce((a, b) => a + b, 0))} | ${f1(p95)} | ${Math.min(...fps) >= FPS * 0.96 ? 'yes' : 'no'}`,
  );
}
process.exit(0);
