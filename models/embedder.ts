import type { Detections } from './detections.js';

/** Adds L2-normalised appearance embeddings (N × dim) to a frame's detections. */
export interface Embedder {
  /** Embedding length. */
  readonly dim: number;
  /** Short name for logs ('histogram', 'osnet'). */
  readonly name: string;
  /**
   * Embeds the instances of a frame.
   * @param wanted Uint8Array(N): embed only instances flagged 1 (the others get a zero row and
   *   `embedded[i] = 0`); omitted or null = every instance
   */
  embed(detections: Detections, wanted?: Uint8Array | null): Promise<Detections>;
  dispose(): Promise<void>;
}
