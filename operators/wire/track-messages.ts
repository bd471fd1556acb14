import { encodeMaskRle } from '../../models/coco-rle.js';
import type { Tracks } from '../../models/tracks.js';
import {
  MESSAGE_SCHEMA_VERSION,
  type TrackJson,
  type TrackMessage,
  type TracksMessage,
  type UnsequencedMessage,
} from './message-schema.js';

export { MESSAGE_SCHEMA_VERSION };
export type {
  CameraStatusMessage,
  TrackEventMessage,
  TrackJson,
  TrackMessage,
  TracksMessage,
  UnsequencedMessage,
} from './message-schema.js';

const round2 = (v: number) => Math.round(v * 100) / 100;

/**
 * Turns one hop-3 item into the messages to publish, in a fixed order (started events, snapshot,
 * ended events) with fixed key order and rounding, so the same input always gives the same
 * bytes. Time fields are media time and frame indices only. The end of a stream gives only its
 * `track_ended` events. Events carry an `eventId` unique across runs (it holds the run's epoch); the
 * camera's `MessageSequence` stamps `seq` and `epoch` when they are published; an event that is part
 * of an event clip names it (`clipId`, from `tracks.clipOf`), and the end of a track whose snapshot
 * is being written names the `track_snapshot` that follows (`snapshotId`, from `tracks.snapshotted`).
 * @param withMasks include COCO RLE masks in the snapshot
 * @param epoch the run's epoch (`MessageSequence.epoch`; 0 in a replay)
 */
export function toTrackMessages(tracks: Tracks, withMasks: boolean, epoch: number): UnsequencedMessage[] {
  const base = {
    schema: MESSAGE_SCHEMA_VERSION,
    camera: tracks.cameraId,
    frameIndex: tracks.frameIndex,
    ptsMs: tracks.ptsMs,
  } as const;
  const run = `${tracks.cameraId}:${epoch}`;
  // The event clip an event is part of, last in the message (cameras with clips on).
  const clip = (eventId: string) => (tracks.clipOf?.[eventId] ? { clipId: tracks.clipOf[eventId] } : {});
  const ended = tracks.ended.map((track): UnsequencedMessage => {
    const eventId = `${run}:${track.trackId}:ended`;
    const snapshot = tracks.snapshotted?.includes(track.trackId)
      ? { snapshotId: `${run}:${track.trackId}:snapshot` }
      : {};
    return { ...base, type: 'track_ended', eventId, track, ...clip(eventId), ...snapshot };
  });
  const zoneEvents = (tracks.zoneEvents ?? []).map((e): UnsequencedMessage => {
    const id = `${run}:${e.trackId}:${e.kind === 'line_crossed' ? e.line : e.zone}:${e.kind}@${tracks.frameIndex}`;
    if (e.kind === 'line_crossed')
      return {
        ...base,
        type: e.kind,
        eventId: id,
        trackId: e.trackId,
        line: e.line,
        direction: e.direction,
        ...clip(id),
      };
    if (e.kind === 'zone_exited')
      return { ...base, type: e.kind, eventId: id, trackId: e.trackId, zone: e.zone, dwellMs: e.dwellMs, ...clip(id) };
    return { ...base, type: e.kind, eventId: id, trackId: e.trackId, zone: e.zone, ...clip(id) };
  });
  // Zone exits of ended tracks come after their track_ended.
  if (tracks.kind === 'stream-ended') return [...ended, ...zoneEvents];
  return [
    ...tracks.started.map((track): UnsequencedMessage => {
      const eventId = `${run}:${track.trackId}:started`;
      return { ...base, type: 'track_started', eventId, track, ...clip(eventId) };
    }),
    ...zoneEvents,
    {
      schema: MESSAGE_SCHEMA_VERSION,
      type: 'tracks',
      camera: tracks.cameraId,
      frameIndex: tracks.frameIndex,
      ptsMs: tracks.ptsMs,
      width: tracks.width,
      height: tracks.height,
      tracks: tracks.active.map(
        (t): TrackJson => ({
          id: t.trackId,
          classId: t.classId,
          className: t.className,
          score: Math.round(t.score * 1e4) / 1e4,
          bbox: [round2(t.box[0]), round2(t.box[1]), round2(t.box[2] - t.box[0]), round2(t.box[3] - t.box[1])],
          mask: withMasks && t.mask ? encodeMaskRle(t.mask, tracks.width, tracks.height) : null,
          age: t.age,
        }),
      ),
      ...(tracks.occupancy ? { zones: tracks.occupancy } : {}),
    },
    ...ended,
  ];
}

/** A snapshot with every track's mask left out (`mask: null`): the small form for counters and dashboards. */
export function withoutMasks(message: TracksMessage): TracksMessage {
  return { ...message, tracks: message.tracks.map((k) => ({ ...k, mask: null })) };
}

/** MQTT topic of a message: `<prefix>/<camera>/tracks` for snapshots, `…/status` for camera states, `…/events` for lifecycle events. */
export function topicOf(prefix: string, message: TrackMessage): string {
  return `${prefix}/${message.camera}/${message.type === 'tracks' ? 'tracks' : message.type === 'camera_status' ? 'status' : 'events'}`;
}
