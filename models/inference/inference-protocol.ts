import type { Frame } from '../frame.js';
import type { ExecutionProvider } from '../onnx-session.js';
import type { YoloSegmenterOptions, YoloSegModelInfo } from '../yolo-segmenter.js';

/**
 * Messages between the main thread and the inference worker (`inference-worker.ts`). Pixel and
 * result buffers travel in the transfer list (moved, never copied): a frame's RGB goes to the
 * worker with a job and comes back with its result.
 */

/** A frame without its pixels (and without its timing, which stays on the main thread), plus the pixels' buffer (moved to the worker and back). */
export interface FramePixels {
  readonly meta: Omit<Frame, 'rgb' | 'timing'>;
  readonly buffer: ArrayBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
}

export type InferenceRequest =
  | { readonly kind: 'load-segmenter'; readonly path: string; readonly options: YoloSegmenterOptions }
  | { readonly kind: 'load-embedder'; readonly path: string; readonly providers: readonly ExecutionProvider[]; readonly intraOpThreads: number }
  /** Run a segmenter on a letterboxed input (3 × H × W floats), writing its raw outputs into `head` and `protos`; all three come back (and are reused). */
  | { readonly kind: 'infer-segmenter'; readonly model: number; readonly tensor: Float32Array; readonly head: Float32Array; readonly protos: Float32Array }
  | { readonly kind: 'embed'; readonly model: number; readonly frame: FramePixels; readonly boxes: Float32Array; readonly count: number; readonly wanted: Uint8Array | null }
  | { readonly kind: 'dispose'; readonly model: number }
  /** JPEG-encode packed RGB (viewer previews; jpeg-js), quality 1-100. */
  | { readonly kind: 'encode-jpeg'; readonly rgb: Uint8Array; readonly width: number; readonly height: number; readonly quality: number };

/** What a loaded model is, as the worker learnt it. */
export interface LoadedModelInfo {
  /** Handle of the model inside the worker. */
  readonly model: number;
  readonly executionProvider: ExecutionProvider;
  readonly fallbacks: readonly { provider: string; reason: string }[];
}

export type SegmenterLoaded = LoadedModelInfo & { readonly info: YoloSegModelInfo };
export type EmbedderLoaded = LoadedModelInfo & { readonly dim: number; readonly inputWidth: number; readonly inputHeight: number };

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

export interface EmbeddingsPayload {
  readonly frame: FramePixels;
  readonly embeddings: Float32Array;
  readonly inferenceMs: number;
}

/** A job's answer: its id, and the result or an error (name, message, code kept for ModelLoadError). */
export type InferenceResponse =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { name: string; message: string; code?: string } };

/** Splits a frame into metadata and its pixel buffer for the trip to the worker. */
export function framePixels(frame: Frame): FramePixels {
  const { rgb, timing: _timing, ...meta } = frame;
  return { meta, buffer: rgb.buffer as ArrayBuffer, byteOffset: rgb.byteOffset, byteLength: rgb.byteLength };
}

/** The frame again, on whichever side the pixels arrived, with `timing` when given (the main thread's object). */
export function frameOf(pixels: FramePixels, timing?: Frame['timing']): Frame {
  return { ...pixels.meta, rgb: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength), ...(timing ? { timing } : {}) };
}

/** The distinct ArrayBuffers of typed arrays and frames in a payload (a transfer list may hold each once). */
export function buffersOf(...parts: readonly (ArrayBufferView | FramePixels | null | undefined)[]): ArrayBuffer[] {
  const set = new Set<ArrayBuffer>();
  for (const p of parts) {
    if (!p) continue;
    const buffer = 'meta' in p ? p.buffer : p.buffer;
    if (buffer instanceof ArrayBuffer && buffer.byteLength > 0) set.add(buffer);
  }
  return [...set];
}
