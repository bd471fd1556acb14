// The inference worker: owns every ONNX Runtime session of the process and runs one job at a time,
// so inference never blocks the main thread's event loop and GPU sessions never run concurrently
// (onnxruntime issue 32561: two WebGPU sessions at once can crash). See inference-queue.ts.
import { parentPort } from 'node:worker_threads';
import jpeg from 'jpeg-js';
import { OsnetEmbedder } from '../osnet-embedder.js';
import { YoloSegmenter } from '../yolo-segmenter.js';
import { buffersOf, type InferenceRequest, type InferenceResponse, type RawEmbeddingsPayload, type RawSegmentationPayload } from './inference-protocol.js';

const models = new Map<number, YoloSegmenter | OsnetEmbedder>();
let nextModel = 1;

async function run(request: InferenceRequest): Promise<{ result: unknown; transfer: ArrayBuffer[] }> {
  switch (request.kind) {
    case 'load-segmenter': {
      const { segmenter, fallbacks } = await YoloSegmenter.load(request.path, request.options);
      const model = nextModel++;
      models.set(model, segmenter);
      return { result: { model, executionProvider: segmenter.executionProvider, fallbacks, info: segmenter.info }, transfer: [] };
    }
    case 'load-embedder': {
      const { embedder, fallbacks } = await OsnetEmbedder.load(request.path, request.providers, request.intraOpThreads);
      const model = nextModel++;
      models.set(model, embedder);
      return { result: { model, executionProvider: embedder.executionProvider, fallbacks, dim: embedder.dim, inputWidth: embedder.inputWidth, inputHeight: embedder.inputHeight }, transfer: [] };
    }
    case 'infer-segmenter': {
      const started = performance.now();
      const { tensor, head, protos } = request;
      await (models.get(request.model) as YoloSegmenter).infer(tensor, { head, protos });
      const result: RawSegmentationPayload = { tensor, head, protos, inferenceMs: performance.now() - started };
      return { result, transfer: buffersOf(tensor, head, protos) };
    }
    case 'infer-embedder': {
      const started = performance.now();
      const { tensor, count, features } = request;
      await (models.get(request.model) as OsnetEmbedder).infer(tensor, count, features);
      const result: RawEmbeddingsPayload = { tensor, features, inferenceMs: performance.now() - started };
      return { result, transfer: buffersOf(tensor, features) };
    }
    case 'encode-jpeg': {
      const { width, height, rgb } = request;
      const rgba = new Uint8Array(width * height * 4); // jpeg-js encodes RGBA
      for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) { rgba[j] = rgb[i]; rgba[j + 1] = rgb[i + 1]; rgba[j + 2] = rgb[i + 2]; rgba[j + 3] = 255; }
      const jpegBytes = jpeg.encode({ data: rgba, width, height }, request.quality).data;
      const out = new Uint8Array(jpegBytes.buffer, jpegBytes.byteOffset, jpegBytes.byteLength);
      return { result: out, transfer: buffersOf(out) };
    }
    case 'dispose': {
      await models.get(request.model)?.dispose();
      models.delete(request.model);
      return { result: null, transfer: [] };
    }
  }
}

parentPort!.on('message', (message: { id: number; request: InferenceRequest }) => {
  // Jobs arrive one at a time from the queue; each answers with its id.
  run(message.request).then(({ result, transfer }) => {
    try {
      parentPort!.postMessage({ id: message.id, ok: true, result } satisfies InferenceResponse, transfer);
    } catch {
      parentPort!.postMessage({ id: message.id, ok: true, result } satisfies InferenceResponse); // a buffer that cannot move is copied
    }
  }, (err: Error & { code?: string }) => {
    parentPort!.postMessage({ id: message.id, ok: false, error: { name: err.name, message: err.message, code: err.code } } satisfies InferenceResponse);
  });
});
