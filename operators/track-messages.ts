import { encodeMaskRle, type CocoRle } from '../models/coco-rle.js';
import type { Tracks, TrackSummary } from '../models/tracks.js';

/** Version tag carried by every message; bumped on incompatible schema changes. */
export const MESSAGE_SCHEMA_VERSION = 'edgevis.tracks.v1';

/** One track in a snapshot. `bbox` is [x, y, width, height] in frame pixels (COCO convention, top-left origin). */
export interface TrackJson {
  id: number;
  classId: number;
  className: string;
  score: number;
  bbox: [number, number, number, number];
  /** COCO RLE of the mask at frame resolution, or null (detection-only model / masks disabled). */
  mask: CocoRle | null;
  /** Frames since the track was first seen. */
  age: number;
}

/** Per-frame snapshot of a camera's confirmed tracks (topic `<prefix>/<camera>/tracks`). */
export interface TracksMessage {
  schema: typeof MESSAGE_SCHEMA_VERSION;
  type: 'tracks';
  camera: string;
  frameIndex: number;
  /** Media timestamp, ms. */
  ptsMs: number;
  width: number;
  height: number;
  tracks: TrackJson[];
}

/** Lifecycle event (topic `<prefix>/<camera>/events`). */
export interface TrackEventMessage {
  schema: typeof MESSAGE_SCHEMA_VERSION;
  type: 'track_started' | 'track_ended';
  camera: string;
  frameIndex: number;
  ptsMs: number;
  track: TrackSummary;
}

export type TrackMessage = TracksMessage | TrackEventMessage;

const round2 = (v: number) => Math.round(v * 100) / 100;

/**
 * Turns one frame's `Tracks` into the messages to publish, in a fixed order (started events,
 * snapshot, ended events) with fixed key order and rounding, so the same input always gives
 * the same bytes. Time fields are media time and frame indices only.
 * @param withMasks include COCO RLE masks in the snapshot
 * @param snapshot emit the snapshot (false for the end-of-stream flush, which only has events)
 */
export function toTrackMessages(tracks: Tracks, withMasks: boolean, snapshot = true): TrackMessage[] {
  const base = { schema: MESSAGE_SCHEMA_VERSION, camera: tracks.cameraId, frameIndex: tracks.frameIndex, ptsMs: tracks.ptsMs } as const;
  const out: TrackMessage[] = tracks.started.map((track) => ({ ...base, type: 'track_started' as const, track }));
  if (snapshot) {
    out.push({
      schema: MESSAGE_SCHEMA_VERSION, type: 'tracks', camera: tracks.cameraId, frameIndex: tracks.frameIndex, ptsMs: tracks.ptsMs,
      width: tracks.width, height: tracks.height,
      tracks: tracks.active.map((t) => ({
        id: t.trackId, classId: t.classId, className: t.className, score: Math.round(t.score * 1e4) / 1e4,
        bbox: [round2(t.box[0]), round2(t.box[1]), round2(t.box[2] - t.box[0]), round2(t.box[3] - t.box[1])],
        mask: withMasks && t.mask ? encodeMaskRle(t.mask, tracks.width, tracks.height) : null,
        age: t.age,
      })),
    });
  }
  for (const track of tracks.ended) out.push({ ...base, type: 'track_ended', track });
  return out;
}

/** MQTT topic of a message: `<prefix>/<camera>/tracks` for snapshots, `<prefix>/<camera>/events` for events. */
export function topicOf(prefix: string, message: TrackMessage): string {
  return `${prefix}/${message.camera}/${message.type === 'tracks' ? 'tracks' : 'events'}`;
}
