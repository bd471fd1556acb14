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
  /**
   * Uint8Array(N): 1 where row i of `embeddings` holds an embedding, 0 where the embedder skipped
   * the instance (its appearance could not change the tracker's decision; the row is zeros).
   * Absent or null: every row holds one.
   */
  readonly embedded?: Uint8Array | null;
  /** Time spent in the segmenter for this frame, ms (wall clock: metrics only, never published in results). */
  readonly inferenceMs: number;
}

/**
 * Returns the same detections with embeddings attached (shape N × dim, L2-normalised).
 * @param embedded which rows hold an embedding (see {@link Detections.embedded}); null = all
 * @throws Error when the shapes disagree with the detection count
 */
export function withEmbeddings(
  detections: Detections,
  embeddings: Float32Array,
  embeddingDim: number,
  embedded: Uint8Array | null = null,
): Detections {
  if (embeddings.length !== detections.count * embeddingDim) {
    throw new Error(`embeddings length ${embeddings.length} != ${detections.count} instances × ${embeddingDim}`);
  }
  if (embedded && embedded.length !== detections.count)
    throw new Error(`embedded flags length ${embedded.length} != ${detections.count} instances`);
  return { ...detections, embeddings, embeddingDim, embedded };
}

/** Whether instance `i` carries an appearance embedding. */
export function hasEmbedding(detections: Detections, i: number): boolean {
  return detections.embeddings !== null && (!detections.embedded || detections.embedded[i] === 1);
}

/** How many instances carry an appearance embedding. */
export function embeddedCount(detections: Detections): number {
  if (!detections.embeddings) return 0;
  if (!detections.embedded) return detections.count;
  let n = 0;
  for (const e of detections.embedded) n += e;
  return n;
}
