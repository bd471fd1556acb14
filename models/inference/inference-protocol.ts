import type { ExecutionProvider } from '../onnx-session.js';
import type { YoloSegmenterOptions, YoloSegModelInfo } from '../yolo-segmenter.js';

/**
 * Messages between the main thread and the inference worker (`inference-worker.ts`). The worker
 * only runs models: inputs (letterboxed tensors, crop batches) and output buffers travel in the
 * transfer list (moved, never copied) and come back with the answer, to be reused; frame pixels
 * never leave the main thread.
 */

export type InferenceRequest =
  /** Loads a model under handle `model` (given by the queue, so a replacement worker can load it under the same one). */
  | {
      readonly kind: 'load-segmenter';
      readonly path: string;
      readonly options: YoloSegmenterOptions;
      readonly model?: number;
    }
  | {
      readonly kind: 'load-embedder';
      readonly path: string;
      readonly providers: readonly ExecutionProvider[];
      readonly intraOpThreads: number;
      readonly model?: number;
    }
  /** Run a segmenter on a letterboxed input (3 × H × W floats), writing its raw outputs into `head` and `protos`; all three come back (and are reused). */
  | {
      readonly kind: 'infer-segmenter';
      readonly model: number;
      readonly tensor: Float32Array;
      readonly head: Float32Array;
      readonly protos: Float32Array;
    }
  /** Run an embedder on `count` prepared crops in `tensor`, writing the raw features into `features` (≥ count × dim); both come back (and are reused). */
  | {
      readonly kind: 'infer-embedder';
      readonly model: number;
      readonly tensor: Float32Array;
      readonly count: number;
      readonly features: Float32Array;
    }
  | { readonly kind: 'dispose'; readonly model: number }
  /** The queue closes: after the jobs before it, the worker releases its sessions and ends its thread (no answer). */
  | { readonly kind: 'close' }
  /** Fault injection (tests, drills): the worker exits at once with `code`, as if it had crashed; a pool sends it to CPU stream `stream` (default 0). */
  | { readonly kind: 'exit'; readonly code: number; readonly stream?: number };

/** What a loaded model is, as the worker learnt it. */
export interface LoadedModelInfo {
  /** Handle of the model inside the worker. */
  readonly model: number;
  readonly executionProvider: ExecutionProvider;
  readonly fallbacks: readonly { provider: string; reason: string }[];
}

export type SegmenterLoaded = LoadedModelInfo & { readonly info: YoloSegModelInfo };
export type EmbedderLoaded = LoadedModelInfo & {
  readonly dim: number;
  readonly inputWidth: number;
  readonly inputHeight: number;
};

/** A segmenter's raw outputs (decoded on the main thread), with the input tensor handed back. */
export interface RawSegmentationPayload {
  readonly tensor: Float32Array;
  /** output0, [4+C+M, N]. */
  readonly head: Float32Array;
  /** output1, [M, H/4, W/4]. */
  readonly protos: Float32Array;
  /** Time the model ran in the worker, ms. */
  readonly inferenceMs: number;
}

/** An embedder's raw features (normalised on the main thread), with the input handed back. */
export interface RawEmbeddingsPayload {
  readonly tensor: Float32Array;
  /** count × dim floats at the start (the buffer may be longer). */
  readonly features: Float32Array;
  /** Time the model ran in the worker, ms. */
  readonly inferenceMs: number;
}

/** A job's answer: its id, and the result or an error (name, message, code kept for ModelLoadError). */
export type InferenceResponse =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { name: string; message: string; code?: string } };

/** The distinct ArrayBuffers of the typed arrays in a payload (a transfer list may hold each once). */
export function buffersOf(...parts: readonly (ArrayBufferView | null | undefined)[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const p of parts) {
    if (!p) continue;
    const buffer = p.buffer;
    if (buffer instanceof ArrayBuffer && buffer.byteLength > 0) set.add(buffer);
  }
  return [...set];
}
