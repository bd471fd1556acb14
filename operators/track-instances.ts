import { Observable, type OperatorFunction } from 'rxjs';
import type { Detections } from '../models/detections.js';
import type { Tracker } from '../models/tracker.js';
import type { Tracks } from '../models/tracks.js';

/**
 * Feeds each frame's detections to the camera's tracker and emits its `FrameTracks`. When the
 * stream completes after at least one frame, emits one `StreamEnded` that ends every remaining
 * track. The tracker is owned by the caller, so a reconnecting source keeps its identities.
 *
 * A frame of another size than the one before (a camera that came back at another resolution) is
 * a new coordinate system: boxes, motion and zones of the old one mean nothing in it. Every track
 * is ended first (one `StreamEnded`, reason `resolution-changed`), then the frame starts new
 * tracks (ids continue), so no track, zone or line event spans the change.
 * ```
 * detections: -A-B-|          -A-B(C')-   C' at another size
 * tracks:     -a-b-(e|)       -a-b(rc)-   e: StreamEnded with the tracks still alive; r: resolution-changed
 * ```
 * @see embedInstances, publishTracks
 */
export function trackInstances(tracker: Tracker): OperatorFunction<Detections, Tracks> {
  return (source) =>
    new Observable<Tracks>((subscriber) => {
      let size: string | null = null;
      return source.subscribe({
        next: (detections) => {
          let tracks: Tracks;
          const frameSize = `${detections.frame.width}x${detections.frame.height}`;
          if (size !== null && frameSize !== size) {
            const ended = tracker.end('resolution-changed');
            if (ended && ended.ended.length > 0) subscriber.next(ended);
          }
          size = frameSize;
          try {
            tracks = tracker.update(detections);
          } catch (err) {
            subscriber.error(err);
            return;
          }
          const timing = detections.frame.timing;
          if (timing && tracks.kind === 'frame') timing.trackEndAt = performance.now();
          // The frame goes along while its pixels are in the graph (snapshots read them; recycleFramePixels ends that).
          if (tracks.kind === 'frame') tracks = { ...tracks, frame: detections.frame, ...(timing ? { timing } : {}) };
          subscriber.next(tracks);
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          const end = tracker.end();
          if (end) subscriber.next(end);
          subscriber.complete();
        },
      });
    });
}
