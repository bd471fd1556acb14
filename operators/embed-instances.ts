import { concatMap, identity, type OperatorFunction } from 'rxjs';
import type { Detections } from '../models/detections.js';
import type { Embedder } from '../models/embedder.js';

/**
 * Attaches appearance embeddings to each frame's detections (no-op without an embedder).
 * @see segmentInstances, trackInstances
 */
export function embedInstances(embedder: Embedder | null): OperatorFunction<Detections, Detections> {
  return embedder ? concatMap((detections) => embedder.embed(detections)) : identity;
}
