import { concatMap, type OperatorFunction } from 'rxjs';
import type { Detections } from '../models/detections.js';
import type { Frame } from '../models/frame.js';
import type { Segmenter } from '../models/segmenter.js';

/**
 * Runs the instance segmenter on each frame, one at a time, in order.
 * ```
 * frames:      -a---b---|
 * detections:  ---A---B-|
 * ```
 * @see sampleFrames, embedInstances
 */
export function segmentInstances(segmenter: Segmenter): OperatorFunction<Frame, Detections> {
  return concatMap(async (frame) => {
    const timing = frame.timing;
    if (timing) timing.segmentStartAt = performance.now();
    const detections = await segmenter.segment(frame);
    if (timing) { timing.segmentEndAt = performance.now(); timing.segmentWorkerMs = detections.inferenceMs; }
    return detections;
  });
}
