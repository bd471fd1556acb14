import type { Detections } from './detections.js';

/** Adds L2-normalised appearance embeddings (N × dim) to a frame's detections. */
export interface Embedder {
  /** Embedding length. */
  readonly dim: number;
  /** Short name for logs ('histogram', 'osnet'). */
  readonly name: string;
  embed(detections: Detections): Promise<Detections>;
  dispose(): Promise<void>;
}
