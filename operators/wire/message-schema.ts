import { z } from 'zod';
import { cameraIdSchema } from '../../config/camera-id.js';
import type { TrackSummary } from '../../models/tracks.js';

/**
 * The wire format of edgevis, defined once: the TypeScript message types are inferred from
 * these zod schemas, and `track-messages.schema.json` (JSON Schema draft-07, for subscribers
 * in other languages) is generated from them (`edgevis message-schema`; a test fails when the
 * committed file differs). Coordinates are frame pixels, top-left origin; times are media time
 * in ms, never wall clock.
 */

/** Version tag carried by every message; bumped on incompatible schema changes. */
export const MESSAGE_SCHEMA_VERSION = 'edgevis.tracks.v3';

const count = z.number().int().min(0);
/** Per-camera sequence number: epoch × 1000 + 1 for a camera's first message of a run, +1 for each next one; never goes back across restarts. */
const seqSchema = z
  .number()
  .int()
  .min(1)
  .describe(
    'per-camera sequence number: epoch × 1000 + 1 for the camera\'s first message of a run, +1 per message (snapshots, events, states); a gap within a run means missed messages, a repeat a duplicate; it never goes back, also across restarts of edgevis, so "drop what is not above the last seq seen" is safe',
  );
/** The run a message comes from. */
const epochSchema = z
  .number()
  .int()
  .min(0)
  .describe(
    'the run of edgevis that published the message: its start time in ms since the Unix epoch, strictly increasing across runs (0 in a replay); a new epoch means edgevis restarted',
  );

/** The event clip a lifecycle event is part of. */
const clipIdSchema = z
  .string()
  .optional()
  .describe(
    'id of the event clip this event is part of (cameras with clips on; the same as clip_ready.clipId): known from the event on, the clip_ready message that names the MP4 follows once the clip ends and is written',
  );

const common = {
  schema: z.literal(MESSAGE_SCHEMA_VERSION),
  camera: cameraIdSchema,
  epoch: epochSchema,
  seq: seqSchema,
  frameIndex: count.describe('0-based frame index in decode order'),
  ptsMs: z.number().min(0).describe('media timestamp, ms'),
};

const rleSchema = z
  .object({
    size: z.tuple([z.number().int().min(1), z.number().int().min(1)]).describe('[height, width]'),
    counts: z.string().regex(/^[0-o]*$/),
  })
  .strict()
  .describe(
    'COCO run-length encoding (compressed string form, column-major runs starting with zeros) at frame resolution',
  );

const trackSchema = z
  .object({
    id: z.number().int().min(1).describe('track id, stable while the track lives, unique per camera'),
    classId: count,
    className: z.string(),
    score: z.number().min(0).max(1),
    bbox: z
      .tuple([z.number().min(0), z.number().min(0), z.number().min(0), z.number().min(0)])
      .describe('[x, y, width, height], frame pixels (COCO convention)'),
    mask: rleSchema.nullable().describe('mask at frame resolution, or null (detection-only model, or masks disabled)'),
    age: count.describe('frames since the track was first seen'),
  })
  .strict();

const summarySchema = z
  .object({
    trackId: z.number().int().min(1),
    classId: count,
    className: z.string(),
    firstFrame: count.describe('frame index of the first detection'),
    lastFrame: count.describe('frame index of the last matched detection'),
    firstPtsMs: z.number().min(0),
    lastPtsMs: z.number().min(0),
    hits: z.number().int().min(1).describe('frames with a matched detection'),
    meanScore: z.number().min(0).max(1),
    endReason: z
      .enum(['lost-timeout', 'end-of-stream', 'shutdown', 'camera-removed', 'camera-restarted', 'resolution-changed'])
      .optional()
      .describe(
        'why the track ended (track_ended only): lost longer than the tracker keeps lost tracks, the recording ended, edgevis was stopped, the camera was removed or restarted while edgevis ran, or the camera came back at another frame size (a new coordinate system)',
      ),
  })
  .strict();

const tracksMessageSchema = z
  .object({
    ...common,
    type: z.literal('tracks'),
    width: z.number().int().min(1),
    height: z.number().int().min(1),
    tracks: z.array(trackSchema).describe('confirmed tracks matched in this frame, by id'),
    zones: z
      .record(z.string(), count)
      .optional()
      .describe('tracks inside each zone after this frame, by zone name (cameras with zones)'),
  })
  .strict()
  .describe('per-frame snapshot (topic <prefix>/<camera>/tracks)');

const trackEventMessageSchema = z
  .object({
    ...common,
    type: z.enum(['track_started', 'track_ended']),
    eventId: z
      .string()
      .describe(
        'id of the event, the same in every copy (and every replay), unique across runs: <camera>:<epoch>:<trackId>:started or :ended',
      ),
    track: summarySchema,
    clipId: clipIdSchema,
    snapshotId: z
      .string()
      .optional()
      .describe(
        "track_ended of a camera with snapshots on: the eventId of the track_snapshot message that follows once the track's best snapshot is written (<camera>:<epoch>:<trackId>:snapshot); absent when the track has none",
      ),
  })
  .strict()
  .describe('track lifecycle event (topic <prefix>/<camera>/events)');

const zoneBase = {
  ...common,
  eventId: z
    .string()
    .describe('id of the event, unique across runs: <camera>:<epoch>:<trackId>:<zone or line>:<kind>@<frameIndex>'),
  trackId: z.number().int().min(1),
  clipId: clipIdSchema,
};
const zoneEnteredSchema = z
  .object({ ...zoneBase, type: z.literal('zone_entered'), zone: z.string() })
  .strict()
  .describe(
    "a track's anchor (bottom centre of its box) went into a zone by at least the hysteresis (topic <prefix>/<camera>/events)",
  );
const zoneExitedSchema = z
  .object({
    ...zoneBase,
    type: z.literal('zone_exited'),
    zone: z.string(),
    dwellMs: z.number().min(0).describe('media time inside the zone, ms'),
  })
  .strict()
  .describe('a track left a zone (or ended while inside it)');
const lineCrossedSchema = z
  .object({
    ...zoneBase,
    type: z.literal('line_crossed'),
    line: z.string(),
    direction: z
      .enum(['left-to-right', 'right-to-left'])
      .describe("seen from the line's `from` point looking to its `to` point"),
  })
  .strict()
  .describe("a track's anchor crossed a line (from at least the hysteresis on one side to as much on the other)");

const trackSnapshotSchema = z
  .object({
    ...common,
    type: z.literal('track_snapshot'),
    eventId: z.string().describe('<camera>:<epoch>:<trackId>:snapshot'),
    trackId: z.number().int().min(1),
    className: z.string(),
    score: z.number().min(0).max(1).describe("detection confidence in the snapshot's frame"),
    bbox: z
      .tuple([z.number().min(0), z.number().min(0), z.number().min(0), z.number().min(0)])
      .describe('[x, y, width, height] of the track in the snapshot, frame pixels'),
    snapshot: z
      .object({
        file: z.string().describe('file name of the JPEG'),
        url: z
          .string()
          .describe('where the JPEG is served on the HTTP port (reader token): /media/<camera>/snapshots/<file>'),
        bytes: count,
      })
      .strict(),
  })
  .strict()
  .describe(
    "the best snapshot of a track that ended (the frame where it was largest and most confident), written as JPEG; frameIndex/ptsMs are that frame's (topic <prefix>/<camera>/events; the JPEG itself retained on <prefix>/<camera>/<label>/snapshot)",
  );

const clipReadySchema = z
  .object({
    schema: z.literal(MESSAGE_SCHEMA_VERSION),
    type: z.literal('clip_ready'),
    camera: cameraIdSchema,
    epoch: epochSchema,
    seq: seqSchema,
    clipId: z.string().describe('<camera>-<epoch>-<n>'),
    continues: z
      .string()
      .optional()
      .describe(
        'the clip before this one of the same activity: it was cut at its maximum length (clips.maxSeconds) and its open tracks went on in this clip',
      ),
    eventIds: z.array(z.string()).describe('the events the clip holds (their eventId)'),
    start: z
      .string()
      .describe(
        "wall-clock time of the clip's first segment, ISO 8601 UTC (recordings are wall-clock, unlike the tracks' media time)",
      ),
    end: z.string().describe("wall-clock time of its last segment's end"),
    clip: z
      .object({
        file: z.string(),
        url: z
          .string()
          .describe('where the MP4 is served on the HTTP port (reader token): /media/<camera>/clips/<file>'),
        bytes: count,
      })
      .strict(),
  })
  .strict()
  .describe(
    'an event clip was written (MP4, from the pre-roll before its first event to the post-roll after its tracks ended), naming the events it holds (topic <prefix>/<camera>/events)',
  );

/** States a camera reports (see `CameraState` in pipeline/camera/camera-run.ts). */
export const CAMERA_STATES = [
  'starting',
  'connecting',
  'streaming',
  'stalled',
  'reconnecting',
  'ended',
  'failed',
  'stopped',
] as const;

const cameraStatusMessageSchema = z
  .object({
    schema: z.literal(MESSAGE_SCHEMA_VERSION),
    type: z.literal('camera_status'),
    camera: cameraIdSchema,
    node: z.string().describe('the edgevis process (node id) that runs the camera'),
    epoch: epochSchema,
    seq: seqSchema,
    state: z
      .enum(CAMERA_STATES)
      .describe(
        'starting (loading models), connecting, streaming, stalled (no frame, being rebuilt), reconnecting (waiting or trying again), ended (a recording finished), failed (a permanent error), stopped',
      ),
    reason: z
      .string()
      .describe('why the camera is in this state, for people (an error message, "no frame for 5000 ms", …)'),
    code: z
      .string()
      .optional()
      .describe(
        'machine-readable cause: a source error code, stream-ended, connect-timeout, stalled, slow-stream, or reconfigure (a connection made again on purpose, e.g. to record again once the recordings folder can be written)',
      ),
    reconnects: count.describe('times the camera came back after a loss (disconnect, error, stall) since it started'),
    lastFrameIndex: z.number().int().min(-1).describe('index of the last processed frame, -1 before the first'),
    model: z
      .object({
        profile: z.string().describe('segmentation model profile (e.g. yolo11n-seg-480) or file name'),
        reason: z
          .string()
          .describe("why: pinned in the config, or what auto measured and chose for the cameras' frame rate"),
      })
      .strict()
      .optional()
      .describe(
        'the segmentation model the camera runs (absent before it is chosen); a camera_status with the same state is published when auto switches it',
      ),
    recording: z
      .object({
        state: z.enum(['recording', 'off', 'error']),
        reason: z.string().optional().describe('why it is not recording (error): a full disk, an unwritable folder'),
      })
      .strict()
      .optional()
      .describe("the camera's continuous recording, when configured"),
  })
  .strict()
  .describe(
    'a change of a camera\'s state (MQTT: <prefix>/<camera>/status, retained), so a subscriber can tell "no objects" from "no picture"',
  );

/** Every message edgevis publishes per camera (numbered by the camera's sequence). */
export const trackMessageSchema = z.union([
  tracksMessageSchema,
  trackEventMessageSchema,
  zoneEnteredSchema,
  zoneExitedSchema,
  lineCrossedSchema,
  cameraStatusMessageSchema,
  trackSnapshotSchema,
  clipReadySchema,
]);

const gapMessageSchema = z
  .object({
    schema: z.literal(MESSAGE_SCHEMA_VERSION),
    type: z.literal('gap'),
    camera: cameraIdSchema,
    epoch: epochSchema,
    fromSeq: z.number().int().min(1).describe('first sequence number the subscriber can no longer get'),
    toSeq: z.number().int().min(1).describe('last one'),
    restarted: z
      .boolean()
      .describe(
        "true when the subscriber's since= belongs to an earlier run of edgevis (it restarted; nothing of that run is held), false when messages of this run were evicted",
      ),
    cause: z
      .enum(['evicted', 'restarted', 'failover', 'buffer-overflow'])
      .optional()
      .describe(
        'why: evicted / restarted (WebSocket resume), failover (a fleet node took the camera over from one that stopped answering: what the old owner published after fromSeq - 1 and did not store is lost, its open tracks end unseen), buffer-overflow (a fleet node dropped messages it could not store while the engine was away)',
      ),
    reason: z.string(),
  })
  .strict()
  .describe(
    'On WebSocket resume (?since=): events and states in [fromSeq, toSeq] are no longer held, the buffered ones follow. In a fleet also in the stream and to every subscriber: a failover or messages a node had to drop',
  );

/** Every message a subscriber can receive: the camera messages, and the WebSocket's resume gap. */
export const wireMessageSchema = z
  .union([
    tracksMessageSchema,
    trackEventMessageSchema,
    zoneEnteredSchema,
    zoneExitedSchema,
    lineCrossedSchema,
    cameraStatusMessageSchema,
    trackSnapshotSchema,
    clipReadySchema,
    gapMessageSchema,
  ])
  .meta({
    title: `edgevis track messages (${MESSAGE_SCHEMA_VERSION})`,
    description:
      'Messages published per camera over WebSocket and MQTT. Snapshots on <prefix>/<camera>/tracks, lifecycle events on <prefix>/<camera>/events, camera states on <prefix>/<camera>/status (retained). All coordinates are frame pixels, top-left origin; times are media time in milliseconds (never wall clock).',
  });

/** One track in a snapshot. */
export type TrackJson = z.infer<typeof trackSchema>;
/** Per-frame snapshot of a camera's confirmed tracks. */
export type TracksMessage = z.infer<typeof tracksMessageSchema>;
/** Lifecycle event. */
export type TrackEventMessage = z.infer<typeof trackEventMessageSchema>;
/** A camera's change of state. */
export type CameraStatusMessage = z.infer<typeof cameraStatusMessageSchema>;
/** A WebSocket resume gap. */
export type GapMessage = z.infer<typeof gapMessageSchema>;
/** Zone and line events. */
export type ZoneEventMessage =
  | z.infer<typeof zoneEnteredSchema>
  | z.infer<typeof zoneExitedSchema>
  | z.infer<typeof lineCrossedSchema>;
/** A track's best snapshot, once written. */
export type TrackSnapshotMessage = z.infer<typeof trackSnapshotSchema>;
/** An event clip, once written. */
export type ClipReadyMessage = z.infer<typeof clipReadySchema>;
export type TrackMessage =
  | TracksMessage
  | TrackEventMessage
  | ZoneEventMessage
  | CameraStatusMessage
  | TrackSnapshotMessage
  | ClipReadyMessage;
/** A message before its camera's sequence number is stamped on it (see `MessageSequence`). */
export type UnsequencedMessage = TrackMessage extends infer M
  ? M extends unknown
    ? Omit<M, 'seq' | 'epoch'>
    : never
  : never;

// The tracker's summary is published as is: these fail to compile if the two shapes drift.
type SameShape<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const summaryIsWireSummary: SameShape<TrackSummary, z.infer<typeof summarySchema>> = true;
void summaryIsWireSummary;

/** The JSON Schema (draft-07) of every message, as committed in `track-messages.schema.json`. */
export function trackMessagesJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://edgevis.local/schema/track-messages.v3.json',
    ...z.toJSONSchema(wireMessageSchema, { target: 'draft-7', io: 'output' }),
  };
}
