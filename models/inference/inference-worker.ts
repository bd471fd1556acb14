// The inference worker: owns every ONNX Runtime session of the process and runs one job at a time,
// so inference never blocks the main thread's event loop and GPU sessions never run concurrently
// (onnxruntime issue 32561: two WebGPU sessions at once can crash). See inference-queue.ts.
import { parentPort } from 'node:worker_threads';
import { OsnetEmbedder } from '../osnet-embedder.js';
import { YoloSegmenter } from '../yolo-segmenter.js';
import {
  buffersOf,
  type InferenceRequest,
  type InferenceResponse,
  type RawEmbeddingsPayload,
  type RawSegmentationPayload,
} from './inference-protocol.js';

const models = new Map<number, YoloSegmenter | OsnetEmbedder>();

/** The model under `handle`; throws naming the handle when it is not loaded (e.g. it did not load again after a restart). */
function loaded<M extends YoloSegmenter | OsnetEmbedder>(handle: number): M {
  const model = models.get(handle);
  if (!model) throw new Error(`model ${handle} is not loaded in the inference worker`);
  return model as M;
}

/** The handle the queue gave a load. */
function handleOf(request: { model?: number }): number {
  if (request.model === undefined) throw new Error('a load needs the handle its queue gives it');
  return request.model;
}

async function run(request: InferenceRequest): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (request.kind) {
    case 'load-segmenter': {
      const model = handleOf(request);
      const { segmenter, fallbacks } = await YoloSegmenter.load(request.path, request.options);
      models.set(model, segmenter);
      return {
        result: { model, executionProvider: segmenter.executionProvider, fallbacks, info: segmenter.info },
        transfer: [],
      };
    }
    case 'load-embedder': {
      const model = handleOf(request);
      const { embedder, fallbacks } = await OsnetEmbedder.load(request.path, request.providers, request.intraOpThreads);
      models.set(model, embedder);
      return {
        result: {
          model,
          executionProvider: embedder.executionProvider,
          fallbacks,
          dim: embedder.dim,
          inputWidth: embedder.inputWidth,
          inputHeight: embedder.inputHeight,
        },
        transfer: [],
      };
    }
    case 'infer-segmenter': {
      const started = performance.now();
      const { tensor, head, protos } = request;
      await loaded<YoloSegmenter>(request.model).infer(tensor, { head, protos });
      const result: RawSegmentationPayload = { tensor, head, protos, inferenceMs: performance.now() - started };
      return { result, transfer: buffersOf(tensor, head, protos) };
    }
    case 'infer-embedder': {
      const started = performance.now();
      const { tensor, count, features } = request;
      await loaded<OsnetEmbedder>(request.model).infer(tensor, count, features);
      const result: RawEmbeddingsPayload = { tensor, features, inferenceMs: performance.now() - started };
      return { result, transfer: buffersOf(tensor, features) };
    }
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: process.exit never returns
    case 'exit':
      process.exit(request.code); // ends this thread only, with that code, as a crash would
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: process.exit never returns
    case 'close': {
      // After every job before it (jobs run in order): no model is running. Sessions are released, then the thread ends.
      for (const model of models.values()) await model.dispose();
      models.clear();
      process.exit(0);
    }
    case 'dispose': {
      await models.get(request.model)?.dispose();
      models.delete(request.model);
      return { result: null, transfer: [] };
    }
  }
}

/** The job running now: the next one starts after it, so jobs run one at a time, in order (a model's load ends before its first inference). */
let running: Promise<void> = Promise.resolve();

parentPort!.on('message', (message: { id: number; request: InferenceRequest }) => {
  // Up to two jobs are here at once (see the queue); each answers with its id.
  running = running
    .then(() => run(message.request))
    .then(
      ({ result, transfer }) => {
        try {
          parentPort!.postMessage({ id: message.id, ok: true, result } satisfies InferenceResponse, transfer);
        } catch {
          parentPort!.postMessage({ id: message.id, ok: true, result } satisfies InferenceResponse); // a buffer that cannot move is copied
        }
      },
      (err: Error & { code?: string }) => {
        parentPort!.postMessage({
          id: message.id,
          ok: false,
          error: { name: err.name, message: err.message, code: err.code },
        } satisfies InferenceResponse);
      },
    );
});
