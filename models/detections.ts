import type { Frame } from './frame.js';
import type { InstanceMask } from './instance-mask.js';

/**
 * Hop 2 of the graph (segment → track): the instances found in one frame.
 *
 * Struct of arrays (after Roboflow supervision's `Detections`): instance `i` has
 * box `boxes[4i..4i+3]` = x1, y1, x2, y2 in frame pixels (top-left origin, x2/y2
 * exclusive edges as floats), `scores[i]` in [0, 1], `classIds[i]` into `classNames`,
 * `masks[i]` (or null for a detection-only model), and, once an embedder ran,
 * `embeddings[i*embeddingDim .. +embeddingDim]`, L2-normalised.
 */
export interface Detections {
  /** The frame these instances were found in (pixels kept for crops / appearance). */
  readonly frame: Frame;
  /** Number of instances N. */
  readonly count: number;
  /** Float32Array(4N): x1, y1, x2, y2 per instance, frame pixels. */
  readonly boxes: Float32Array;
  /** Float32Array(N): class confidence in [0, 1]. */
  readonly scores: Float32Array;
  /** Int32Array(N): index into `classNames`. */
  readonly classIds: Int32Array;
  /** Class names of the model, indexed by class id. */
  readonly classNames: readonly string[];
  /** Per-instance masks in frame pixels; null entries for detection-only models. */
  readonly masks: readonly (InstanceMask | null)[];
  /** Float32Array(N * embeddingDim) of L2-normalised appearance embeddings, or null before embedding. */
  readonly embeddings: Float32Array | null;
  /** Length of one embedding (0 when `embeddings` is null). */
  readonly embeddingDim: number;
  /** Time spent in the segmenter for this frame, ms (wall clock: metrics only, never published in results). */
  readonly inferenceMs: number;
}

/** Returns the same detections with embeddings attached (shape N × dim, L2-normalised). */
export function withEmbeddings(detections: Detections, embeddings: Float32Array, embeddingDim: number): Detections {
  if (embeddings.length !== detections.count * embeddingDim) {
    throw new Error(`embeddings length ${embeddings.length} != ${detections.count} instances × ${embeddingDim}`);
  }
  return { ...detections, embeddings, embeddingDim };
}
