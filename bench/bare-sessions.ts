/**
 * The bare models for the throughput bench: ONNX Runtime sessions alone, in the same layout as
 * the pipeline's inference workers (`streams` worker threads, each with its own session of
 * `intraOpThreads` threads, spinning off as in edgevis), fed inputs prepared beforehand (letterboxed
 * tensors, cropped batches), with nothing else running. Each stream takes every `streams`-th input;
 * the wall time of the slowest stream is the bare time.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

/** One model's inputs: tensors of `dims` (the batch dimension per input given by `batch`). */
export interface BareWorkload {
  readonly model: string;
  readonly inputs: readonly { data: Float32Array; batch: number }[];
  readonly dims: readonly number[];
}

/**
 * Wall time, ms, for `streams` sessions of `intraOpThreads` threads to run every input once (after
 * 3 warm-up runs each), and the CPU time the process used meanwhile (all threads, ms): the
 * sessions' own cost, to set against the pipeline's CPU per frame.
 */
export async function bareRun(
  work: BareWorkload,
  streams: number,
  intraOpThreads: number,
): Promise<{ wallMs: number; cpuMs: number }> {
  const workers = Array.from(
    { length: streams },
    (_, s) =>
      new Worker(new URL(import.meta.url), {
        workerData: {
          model: work.model,
          dims: work.dims,
          intraOpThreads,
          inputs: work.inputs.filter((_, i) => i % streams === s),
        },
      }),
  );
  const ready = (w: Worker) =>
    new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
  await Promise.all(workers.map(ready)); // loaded and warm
  const started = performance.now(),
    cpu = process.cpuUsage();
  workers.forEach((w) => {
    w.postMessage('run');
  });
  await Promise.all(workers.map(ready));
  const wallMs = performance.now() - started,
    used = process.cpuUsage(cpu);
  await Promise.all(workers.map((w) => w.terminate()));
  return { wallMs, cpuMs: (used.user + used.system) / 1000 };
}

if (!isMainThread) {
  const { model, dims, intraOpThreads, inputs } = workerData as {
    model: string;
    dims: number[];
    intraOpThreads: number;
    inputs: { data: Float32Array; batch: number }[];
  };
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: intraOpThreads,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  });
  const feeds = inputs
    .filter((x) => x.batch > 0)
    .map((x) => ({ [session.inputNames[0]]: new ort.Tensor('float32', x.data, [x.batch, ...dims]) }));
  for (const f of feeds.slice(0, 3)) await session.run(f);
  parentPort!.postMessage('ready');
  parentPort!.once('message', async () => {
    for (const f of feeds) await session.run(f);
    parentPort!.postMessage('done');
  });
}
