import { tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { Tracks } from '../models/tracks.js';
import type { MessageSequence } from './wire/message-sequence.js';
import { toTrackMessages, type TrackMessage, type UnsequencedMessage } from './wire/track-messages.js';

/**
 * An outlet for messages (WebSocket server, MQTT client, replay event log), implemented at the
 * pipeline's edge. The runtime starts publishers before any camera and closes them in reverse
 * order at shutdown.
 */
export interface TrackPublisher {
  /** Short name for logs ('websocket', 'mqtt', 'event-log'). */
  readonly name: string;
  /** Sends one message (`json` is its serialisation); must not throw for a slow or absent subscriber. */
  publish(message: TrackMessage, json: string): void;
  /** What it has done so far, by name (e.g. messages, skippedSnapshots), for reports and metrics. */
  readonly counters: Readonly<Record<string, number>>;
  /** Flushes and releases what it holds (sockets, files, an embedded broker). Idempotent. */
  close(): Promise<void>;
  /** Whether it can deliver now (e.g. the MQTT broker is connected), with why not; absent = always. For readiness probes. */
  health?(): { readonly ok: boolean; readonly reason?: string };
  /** A track's best snapshot as JPEG, for outlets that keep the latest per camera and label (MQTT: retained on `<prefix>/<camera>/<label>/snapshot`). */
  publishSnapshot?(cameraId: string, label: string, jpeg: Buffer): void;
  /** The camera left the set for good (removed while running): drop what is kept for it (MQTT: its retained status is cleared). */
  forgetCamera?(cameraId: string): void;
}

/**
 * Publishes each item's messages (a frame: started events, snapshot, ended events; the end of a
 * stream: its ended events) to every publisher, in order, passing the item through unchanged.
 * Each message is serialised once for all publishers.
 * @see trackInstances, releaseFrame
 */
export function publishTracks(
  publishers: readonly TrackPublisher[],
  withMasks: boolean,
  sequence: MessageSequence,
): MonoTypeOperatorFunction<Tracks> {
  return tap((tracks) => {
    publishMessages(publishers, toTrackMessages(tracks, withMasks, sequence.epoch), sequence);
    if (tracks.kind === 'frame' && tracks.timing) tracks.timing.publishedAt = performance.now();
  });
}

/** Stamps each message with its camera's next sequence number and sends it, in order, to every publisher; each message is serialised once. */
export function publishMessages(
  publishers: readonly TrackPublisher[],
  messages: readonly UnsequencedMessage[],
  sequence: MessageSequence,
): void {
  for (const unsequenced of messages) {
    const message = sequence.stamp(unsequenced);
    const json = JSON.stringify(message);
    for (const p of publishers) p.publish(message, json);
  }
}
