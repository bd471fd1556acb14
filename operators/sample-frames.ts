import { asapScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { Frame } from '../models/frame.js';
import type { FrameCredit } from './backpressure/frame-credit.js';

/** How frames reach the model: every frame (files), or the newest one when the model is free (live). */
export type SamplingPolicy = 'every' | 'latest';

/** Counters a sampler updates. */
export interface SamplingStats {
  /** Frames that arrived from the source. */
  received: number;
  /** Frames replaced by a newer one before the model was free. */
  dropped: number;
  /** Frames the source itself skipped (gaps in the frame index: a live source's leaky appsink, an outage). */
  skippedBySource: number;
}

/**
 * Decides which frames go on to segmentation.
 *
 * - `every`: passes every frame (the pull-based source already waits for credit, so nothing queues).
 * Gaps in the frame index of what arrives are counted as frames the source skipped.
 *
 * - `latest`: holds at most one pending frame; when a newer one arrives first, the older is
 *   dropped (counted), and the pending frame is emitted once a credit is free. A slow model
 *   therefore never builds a queue and latency stays about one inference.
 *
 * ```
 * frames:  -a-b-c-d-e-|       (model busy while b, c arrive)
 * latest:  -a-----c---e-|     b dropped, d dropped
 * ```
 * @param scheduler where a frame waiting for credit is handed on once it is granted (asap: after the
 *   code that released the credit, never inside it; a TestScheduler runs it in virtual time)
 * @see segmentInstances, releaseFrame
 */
export function sampleFrames(
  policy: SamplingPolicy,
  credit: FrameCredit,
  stats: SamplingStats,
  scheduler: SchedulerLike = asapScheduler,
): OperatorFunction<Frame, Frame> {
  return (source) =>
    new Observable<Frame>((subscriber) => {
      let pending: Frame | null = null;
      let waiting = false;
      let sourceDone = false;
      let lastIndex: number | null = null;
      const emitWhenFree = () => {
        if (waiting || !pending) return;
        waiting = true;
        credit.request(() =>
          scheduler.schedule(() => {
            waiting = false;
            const frame = pending;
            pending = null;
            if (subscriber.closed) {
              credit.release();
              return;
            }
            if (frame) subscriber.next(frame);
            else credit.release();
            if (pending) emitWhenFree();
            else if (sourceDone) subscriber.complete();
          }),
        );
      };
      const sub = source.subscribe({
        next: (frame) => {
          stats.received++;
          if (lastIndex !== null && frame.frameIndex > lastIndex + 1)
            stats.skippedBySource += frame.frameIndex - lastIndex - 1;
          lastIndex = frame.frameIndex;
          if (policy === 'every') {
            subscriber.next(frame);
            return;
          }
          if (pending) stats.dropped++;
          pending = frame;
          emitWhenFree();
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (!pending && !waiting) subscriber.complete();
        },
      });
      return () => sub.unsubscribe();
    });
}
