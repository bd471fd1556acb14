import { concatMap, identity, type OperatorFunction } from 'rxjs';
import type { Detections } from '../models/detections.js';
import type { Embedder } from '../models/embedder.js';

/**
 * Attaches appearance embeddings to each frame's detections (no-op without an embedder), only
 * for the instances `demand` asks for (the tracker's `appearanceDemand`; all when
 * absent). Frames go one at a time, in order, so the demand for frame N is asked after the
 * tracker has seen frame N − 1 (the `track` stage runs synchronously downstream).
 * @see segmentInstances, trackInstances
 */
export function embedInstances(
  embedder: Embedder | null,
  demand?: (detections: Detections) => Uint8Array | null,
): OperatorFunction<Detections, Detections> {
  return embedder
    ? concatMap(async (detections) => {
        const embedded = await embedder.embed(detections, demand?.(detections) ?? null);
        const timing = detections.frame.timing;
        if (timing) timing.embedEndAt = performance.now();
        return embedded;
      })
    : identity;
}
