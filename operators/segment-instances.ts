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
  return concatMap((frame) => segmenter.segment(frame));
}
