import { Observable, type OperatorFunction } from 'rxjs';
import type { Detections } from '../models/detections.js';
import type { Tracker } from '../models/tracker.js';
import type { Tracks } from '../models/tracks.js';

/**
 * Feeds each frame's detections to the camera's tracker and emits its `FrameTracks`. When the
 * stream completes after at least one frame, emits one `StreamEnded` that ends every remaining
 * track. The tracker is owned by the caller, so a reconnecting source keeps its identities.
 * ```
 * detections: -A-B-|
 * tracks:     -a-b-(e|)    e: StreamEnded with the tracks still alive
 * ```
 * @see embedInstances, publishTracks
 */
export function trackInstances(tracker: Tracker): OperatorFunction<Detections, Tracks> {
  return (source) => new Observable<Tracks>((subscriber) => source.subscribe({
    next: (detections) => {
      let tracks: Tracks;
      try { tracks = tracker.update(detections); } catch (err) { subscriber.error(err); return; }
      const timing = detections.frame.timing;
      if (timing && tracks.kind === 'frame') { timing.trackEndAt = performance.now(); tracks = { ...tracks, timing }; }
      subscriber.next(tracks);
    },
    error: (err) => subscriber.error(err),
    complete: () => {
      const end = tracker.end();
      if (end) subscriber.next(end);
      subscriber.complete();
    },
  }));
}
