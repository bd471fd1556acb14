import { concatMap, identity, type OperatorFunction } from 'rxjs';
import type { Detections } from '../models/detections.js';
import type { Embedder } from '../models/embedder.js';

/**
 * Attaches appearance embeddings to each frame's detections (no-op without an embedder).
 * @see segmentInstances, trackInstances
 */
export function embedInstances(embedder: Embedder | null): OperatorFunction<Detections, Detections> {
  return embedder ? concatMap(async (detections) => {
    const embedded = await embedder.embed(detections);
    const timing = detections.frame.timing;
    if (timing) timing.embedEndAt = performance.now();
    return embedded;
  }) : identity;
}
