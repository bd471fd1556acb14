import { Observable, type OperatorFunction } from 'rxjs';
import type { Detections } from '../models/detections.js';
import type { MemoryTracker } from '../models/tracking/memory-tracker.js';
import type { Tracks } from '../models/tracks.js';

/**
 * Feeds each frame's detections to the camera's tracker and emits its `Tracks`. When the
 * stream completes, emits one more `Tracks` that ends every remaining track (end of stream).
 * The tracker is owned by the caller, so a reconnecting source keeps its identities.
 * ```
 * detections: -A-B-|
 * tracks:     -a-b-(e|)    e: ended summaries of the tracks still alive
 * ```
 * @see embedInstances, publishTracks
 */
export function trackInstances(tracker: MemoryTracker): OperatorFunction<Detections, Tracks> {
  return (source) => new Observable<Tracks>((subscriber) => {
    let last: Tracks | null = null;
    return source.subscribe({
      next: (detections) => {
        let tracks: Tracks;
        try { tracks = tracker.update(detections); } catch (err) { subscriber.error(err); return; }
        last = tracks;
        subscriber.next(tracks);
      },
      error: (err) => subscriber.error(err),
      complete: () => {
        if (last) {
          const final = tracker.finish(last);
          if (final.ended.length > 0) subscriber.next(final);
        }
        subscriber.complete();
      },
    });
  });
}
