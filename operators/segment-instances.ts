import { concatMap, map, type OperatorFunction } from 'rxjs';
import type { Detections } from '../models/detections.js';
import type { Frame } from '../models/frame.js';
import type { Segmenter } from '../models/segmenter.js';

/**
 * Runs the instance segmenter on each frame, emitting in frame order. A frame's segmentation
 * starts as soon as the frame arrives, even while an earlier one is still in the model, so the
 * next frame's letterboxing overlaps the current inference and the inference worker never
 * waits for this thread; how many frames overlap is bounded by the source's credit (files:
 * a few frames; live sources: one, newest wins).
 * ```
 * frames:      -a-b------|
 * detections:  ----A--B--|   (b segmented while a was still in the model; order kept)
 * ```
 * @see sampleFrames, embedInstances
 */
export function segmentInstances(segmenter: Segmenter): OperatorFunction<Frame, Detections> {
  return (source) =>
    source.pipe(
      map((frame) => {
        const timing = frame.timing;
        if (timing) timing.segmentStartAt = performance.now();
        const segmented = segmenter.segment(frame).then((detections) => {
          if (timing) {
            timing.segmentEndAt = performance.now();
            timing.segmentWorkerMs = detections.inferenceMs;
          }
          return detections;
        });
        // A failure is delivered in order by concatMap below; until then it must not count as unhandled.
        segmented.catch(() => undefined);
        return segmented;
      }),
      concatMap((segmented) => segmented),
    );
}
