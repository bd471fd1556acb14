import { tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { Tracks } from '../models/tracks.js';
import { toTrackMessages, type TrackMessage } from './track-messages.js';

/** Where messages go (WebSocket server, MQTT client, event log); implemented at the pipeline's edge. */
export interface TrackPublisher {
  /** Sends one message; must not throw for a slow or absent subscriber. */
  publish(message: TrackMessage, json: string): void;
}

/**
 * Publishes each frame's tracks (snapshot + lifecycle events) to every publisher, passing the
 * `Tracks` through unchanged.
 * @see trackInstances, releaseFrame
 */
export function publishTracks(publishers: readonly TrackPublisher[], withMasks: boolean): MonoTypeOperatorFunction<Tracks> {
  return tap((tracks) => {
    // The end-of-stream flush only ends tracks: no snapshot for it.
    for (const message of toTrackMessages(tracks, withMasks, !tracks.endOfStream)) {
      const json = JSON.stringify(message);
      for (const p of publishers) p.publish(message, json);
    }
  });
}
