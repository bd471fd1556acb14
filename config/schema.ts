import { z } from 'zod';
import { cameraIdSchema } from './camera-id.js';

/**
 * The one configuration schema of edgevis. Every field carries its description, unit and
 * default in the schema itself, so `edgevis config-schema` prints them as JSON Schema.
 * Parsed configs are frozen: nothing changes a field after validation.
 */

/** One input: a file, an RTSP URL, a v4l2 device, or a folder of JPEG/PNG frames. */
const point = z.tuple([z.number().min(0), z.number().min(0)]);
const analyticsName = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'names are 1-64 letters, digits, "_" or "-"')
  .describe('name, used in events and occupancy');

export const cameraSchema = z
  .object({
    id: cameraIdSchema.describe('Camera id: MQTT topic segment and key of all per-camera state.'),
    source: z
      .string()
      .min(1, 'source must name a file, rtsp:// URL, /dev/videoN or frame folder')
      .describe(
        'File path, rtsp:// or http(s):// URL (e.g. an MJPEG IP camera), /dev/videoN, or a folder of .jpg/.png frames (YouTube-VIS / DAVIS layout). Relative paths in a config file are relative to that file.',
      ),
    kind: z
      .enum(['auto', 'file', 'rtsp', 'http', 'v4l2', 'frames'])
      .default('auto')
      .describe("Source kind; 'auto' infers it from the source string."),
    realtime: z
      .boolean()
      .default(false)
      .describe(
        'Files and frame folders: pace frames by media time like a live camera (newest frame wins, drops counted).',
      ),
    maxFrames: z.number().int().positive().optional().describe('Stop after this many frames; unset = the whole input.'),
    folderFps: z.number().positive().default(10).describe('Frame rate assumed for frame folders, frames per second.'),
    reconnectDelayMs: z
      .number()
      .int()
      .nonnegative()
      .default(1000)
      .describe(
        'Live sources: first reconnect delay after a loss (error, disconnect, stall), ms; doubles per failed attempt (±20 % jitter) up to reconnectMaxDelayMs. 0 = never reconnect.',
      ),
    reconnectMaxDelayMs: z
      .number()
      .int()
      .positive()
      .default(30000)
      .describe('Live sources: largest reconnect delay, ms.'),
    maxReconnects: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Live sources: give up (state failed) after this many failed reconnects in a row; 0 = keep trying forever.',
      ),
    stallTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(5000)
      .describe(
        'Live sources: no frame for this long while streaming → state stalled, the pipeline is torn down and rebuilt, ms.',
      ),
    slowStallRatio: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe(
        "Live sources: fewer than this fraction of the frames the stream's frame rate promises, over slowStallWindowMs, while edgevis itself kept up → state stalled, torn down and rebuilt; 0 = off (cameras with a variable frame rate).",
      ),
    slowStallWindowMs: z
      .number()
      .int()
      .positive()
      .default(60000)
      .describe('Live sources: window over which the slow-stall rate is measured, ms.'),
    connectTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(10000)
      .describe(
        'Live sources: a (re)connection must deliver its first frame within this long (RTSP set-up, decoder preroll), else it is torn down and tried again, ms.',
      ),
    model: z
      .string()
      .optional()
      .describe(
        'Segmentation model for this camera, pinned: a profile name (yolo11n-seg-480), a file name looked up like model.file, or a path (containing "/"; relative to the config file). Unset = the process\'s model (model.profile, auto by default).',
      ),
    rtspLatencyMs: z.number().int().nonnegative().default(200).describe('RTSP jitter-buffer latency of rtspsrc, ms.'),
    zones: z
      .array(
        z
          .object({
            name: analyticsName,
            polygon: z
              .array(point)
              .min(3, 'a zone needs at least 3 points')
              .describe('[[x, y], …] in frame pixels, top-left origin'),
          })
          .strict(),
      )
      .default([])
      .describe(
        "Named polygons: zone_entered / zone_exited events (with dwell time) and occupancy in snapshots, decided from the bottom centre of each track's box.",
      ),
    lines: z
      .array(
        z
          .object({
            name: analyticsName,
            from: point,
            to: point,
          })
          .strict(),
      )
      .default([])
      .describe(
        "Named line segments: line_crossed events with direction (left-to-right / right-to-left, seen from `from` looking to `to`), from the bottom centre of each track's box.",
      ),
    record: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            "Record the camera's stream in segments, beside the decoding, over the same connection: RTSP and HTTP as they arrive (no re-encoding), a USB camera encoded to H.264 (x264).",
          ),
        segmentSeconds: z
          .number()
          .int()
          .min(2)
          .max(600)
          .default(10)
          .describe('Segment length, s (a segment ends at the first keyframe after it).'),
        maxBytes: z
          .number()
          .int()
          .positive()
          .default(10 * 2 ** 30)
          .describe(
            "Quota of the camera's folder in recordingsDir, bytes: segments, event clips and snapshots together (also when only clips or snapshots are on); the oldest files are deleted first, whatever their kind (the segment being written can exceed it by itself).",
          ),
        maxAgeHours: z
          .number()
          .nonnegative()
          .default(0)
          .describe("Delete the camera's segments, clips and snapshots older than this, hours (0 = no age limit)."),
      })
      .strict()
      .prefault({})
      .describe('Continuous recording (see README, Recordings).'),
    clips: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Write an MP4 clip per event, from preRollSeconds before it to postRollSeconds after its tracks ended; overlapping events share one clip. Needs a recorded stream (RTSP, HTTP): without record.enabled a short pre-roll buffer of segments is kept on disk.',
          ),
        preRollSeconds: z
          .number()
          .min(0)
          .max(60)
          .default(5)
          .describe('Seconds before the event a clip starts (rounded down to a segment start).'),
        postRollSeconds: z
          .number()
          .min(0)
          .max(60)
          .default(5)
          .describe("Seconds after the event's tracks ended a clip ends."),
        events: z
          .array(z.enum(['track_started', 'zone_entered', 'line_crossed']))
          .default(['track_started', 'zone_entered', 'line_crossed'])
          .describe('Event kinds that make a clip.'),
        classes: z.array(z.string()).default([]).describe('Only tracks of these classes make clips (empty = all).'),
        maxSeconds: z
          .number()
          .min(10)
          .max(3600)
          .default(300)
          .describe(
            'Longest clip, s: a clip still open this long (a busy scene) ends there and its open tracks go on in a new clip (clip_ready.continues names the one before). A clip is also cut once the segments it holds back reach half of record.maxBytes, so the folder stays within the quota plus one clip.',
          ),
      })
      .strict()
      .prefault({})
      .describe('Event clips (see README, Recordings and snapshots).'),
    snapshots: z
      .object({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Keep the best frame of each track (largest and most confident) and write it as JPEG when the track ends; a track_snapshot event says where, and the JPEG is retained on <prefix>/<camera>/<label>/snapshot.',
          ),
        overlay: z.boolean().default(true).describe("Draw the track's box, class and id on the snapshot."),
        quality: z.number().int().min(1).max(100).default(80).describe('JPEG quality, 1-100.'),
      })
      .strict()
      .prefault({})
      .describe('Best snapshot per track (see README, Snapshots).'),
    zoneHysteresisPx: z
      .number()
      .nonnegative()
      .default(8)
      .describe(
        'Zones and lines: a track must be this far inside/outside a zone or past a line before it counts (no event storms from jitter on a boundary), pixels.',
      ),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = [...c.zones.map((z) => z.name), ...c.lines.map((l) => l.name)];
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        ctx.addIssue({
          code: 'custom',
          path: ['zones'],
          message: `zone/line name '${n}' is used twice; names must be unique per camera`,
        });
    });
    c.lines.forEach((l, i) => {
      if (l.from[0] === l.to[0] && l.from[1] === l.to[1])
        ctx.addIssue({ code: 'custom', path: ['lines', i], message: 'a line needs two different points' });
    });
  });

export const modelSchema = z
  .object({
    profile: z
      .string()
      .min(1)
      .default('auto')
      .describe(
        "Segmentation model by name: 'auto' (default) = the most accurate profile this machine can afford for the cameras' combined frame rate, measured here and chosen again when cameras come and go " +
          '(files read at full speed and GPUs get the most accurate); or a profile name: yolo11n-seg-480, yolo11n-seg-640, yolov8n-seg-320, yolov8n-seg-320-int8; or a model file or path. ' +
          'Shorthand: `model: yolo11n-seg-480`. An unknown name is an error listing the profiles available here.',
      ),
    path: z
      .string()
      .optional()
      .describe(
        'Explicit segmentation model file (.onnx); pins it (overrides profile and file). Relative to the config file.',
      ),
    dir: z
      .string()
      .optional()
      .describe(
        'Folder holding models; default: $EDGEVIS_MODEL_DIR, else ../shared/models next to the project. Relative to the config file.',
      ),
    file: z
      .string()
      .optional()
      .describe('Model file name looked up in dir, $EDGEVIS_MODEL_DIR, ../shared/models; pins it (overrides profile).'),
    headroom: z
      .number()
      .gt(0)
      .max(1)
      .default(0.75)
      .describe(
        "'auto': the largest share of the CPU the cameras' models and decoding may take with the chosen profile, (0, 1]; the rest is headroom.",
      ),
    executionProviders: z
      .array(z.enum(['cuda', 'webgpu', 'cpu']))
      .min(1)
      .default(['cuda', 'webgpu', 'cpu'])
      .describe(
        'ONNX Runtime execution providers in preference order; an unavailable one falls back to the next (cpu last). The log names the one in use.',
      ),
    intraOpThreads: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('ONNX Runtime intra-op threads per session (0 = the cores divided among the CPU streams, at least 1).'),
    cpuStreams: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        'Inference worker threads for models on the CPU; frames (and cameras) are inferred in parallel, one per stream (OpenVINO-style throughput streams). ' +
          '0 = auto: 2 on a CPU with 2 or more cores. 1 = one inference at a time on every core: lowest latency for a single camera. A GPU model always runs in one queue.',
      ),
    confidenceThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe('Minimum class score for a detection to leave the segmenter, [0, 1].'),
    nmsIouThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.45)
      .describe('Per-class non-maximum suppression IoU threshold, [0, 1].'),
    maxDetections: z.number().int().positive().default(100).describe('At most this many instances per frame.'),
    classes: z
      .array(z.string())
      .default([])
      .describe('Keep only these class names, e.g. [person, car] (empty = every class of the model).'),
    maskThreshold: z.number().gt(0).lt(1).default(0.5).describe('Mask probability threshold, (0, 1).'),
  })
  .strict();

export const embedderSchema = z
  .object({
    kind: z
      .enum(['auto', 'osnet', 'histogram', 'none'])
      .default('auto')
      .describe(
        "Appearance features for the tracker's memory. 'auto': the OSNet re-identification model when its file is found, else 'histogram' (the log says which); " +
          "'osnet': the re-identification model (error when missing); 'histogram': colour histograms inside the mask, no model needed; 'none': motion and overlap only.",
      ),
    path: z
      .string()
      .optional()
      .describe('Re-identification model: explicit path, overrides file. Relative to the config file.'),
    file: z
      .string()
      .default('osnet_x0_25_msmt17.onnx')
      .describe('Re-identification model file name, looked up like model.file.'),
  })
  .strict();

/** Tracker thresholds. Defaults are tuned on PETS09-S2L1 (see README). */
export const trackerSchema = z
  .object({
    highScoreThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'Detections at or above this score take part in the first association stage (ByteTrack τ_high), [0, 1].',
      ),
    lowScoreThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.25)
      .describe(
        'Detections between this and highScoreThreshold only continue tracks (ByteTrack second stage), [0, 1].',
      ),
    newTrackScoreThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe('An unmatched detection starts a new track only at or above this score, [0, 1].'),
    confirmHits: z
      .number()
      .int()
      .positive()
      .default(3)
      .describe('Matches before a tentative track is confirmed (and published), frames.'),
    maxLostFrames: z
      .number()
      .int()
      .nonnegative()
      .default(60)
      .describe('A lost track is removed after this many frames without a match, frames.'),
    maxLostSeconds: z
      .number()
      .nonnegative()
      .default(10)
      .describe('... or after this much media time without a match, whichever comes first, seconds.'),
    minIoU: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe("Minimum IoU between a track's predicted box and a detection for a motion match, [0, 1]."),
    appearanceWeight: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe('Weight of the appearance distance in the association cost (the rest is 1 - IoU), [0, 1].'),
    maxAppearanceDistance: z
      .number()
      .min(0)
      .max(2)
      .default(0.3)
      .describe('Maximum cosine distance for an appearance match, [0, 2].'),
    reidDistance: z
      .number()
      .min(0)
      .max(2)
      .default(0.2)
      .describe('Lost tracks re-identified by appearance alone must be within this cosine distance, [0, 2].'),
    reidMaxJump: z
      .number()
      .positive()
      .default(4)
      .describe('Re-identification search radius for lost tracks, box heights from the predicted centre.'),
    memorySize: z.number().int().positive().default(8).describe('Appearance prototypes kept per track.'),
    embeddingMomentum: z
      .number()
      .min(0)
      .lt(1)
      .default(0.9)
      .describe('EMA momentum of the running appearance embedding, [0, 1).'),
    memoryMinScore: z
      .number()
      .min(0)
      .max(1)
      .default(0.6)
      .describe('Update the appearance memory only from detections at least this confident, [0, 1].'),
    memoryMaxOverlap: z
      .number()
      .min(0)
      .max(1)
      .default(0.15)
      .describe('... and only when no other detection overlaps it by more than this IoU (occlusion guard), [0, 1].'),
    classAware: z.boolean().default(true).describe('Never match a detection to a track of another class.'),
    appearanceRefreshFrames: z
      .number()
      .int()
      .nonnegative()
      .default(1)
      .describe(
        "A detection its track claims by motion alone (each the other's only overlap, IoU ≥ 0.6) is embedded only to refresh that track's appearance memory, " +
          'at most every this many frames; ambiguous detections and possible re-identifications are embedded every frame. 1 (default) changes no decision on PETS09-S2L1 ' +
          'and embeds 65 % of the detections; larger values embed fewer (10: 17 %) at some risk to identities (see README). 0 = embed every detection.',
      ),
  })
  .strict();

export const publishSchema = z
  .object({
    websocket: z
      .object({
        enabled: z.boolean().default(true).describe('Serve messages over WebSocket.'),
        host: z.string().default('127.0.0.1').describe('Listen address; 127.0.0.1 keeps it local, 0.0.0.0 exposes it.'),
        port: z.number().int().min(0).max(65535).default(8765).describe('TCP port (0 = pick a free one).'),
        tokenFile: z
          .string()
          .optional()
          .describe(
            'File whose first line is the token readers present (WebSocket, viewer data, metrics: Authorization: Bearer, or ?token= in a browser); EDGEVIS_TOKEN wins. Unset on 127.0.0.1 = open. Relative to the config file.',
          ),
        allowAnonymous: z
          .boolean()
          .default(false)
          .describe('Serve a non-loopback host without a token (refused otherwise).'),
        allowedOrigins: z
          .array(z.string())
          .default([])
          .describe("Browser origins (e.g. https://dashboard.example) allowed besides the server's own."),
        maxClients: z
          .number()
          .int()
          .positive()
          .default(256)
          .describe('WebSocket subscribers at most; more are answered 503.'),
        certFile: z
          .string()
          .optional()
          .describe(
            'TLS certificate (PEM): serve https:// and wss:// instead of http:// and ws:// (with keyFile). Relative to the config file.',
          ),
        keyFile: z.string().optional().describe('TLS private key (PEM) for certFile. Relative to the config file.'),
        maxBufferedBytes: z
          .number()
          .int()
          .positive()
          .default(8 * 1024 * 1024)
          .describe(
            'Skip snapshots for a client whose send buffer exceeds this (slow consumer; events are always sent), bytes.',
          ),
      })
      .strict()
      .prefault({}),
    mqtt: z
      .object({
        enabled: z.boolean().default(true).describe('Publish over MQTT.'),
        url: z
          .string()
          .optional()
          .describe('External broker URL (mqtt://host:port); unset = start the embedded aedes broker.'),
        brokerHost: z.string().default('127.0.0.1').describe('Embedded broker listen address.'),
        brokerPort: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .default(1883)
          .describe('Embedded broker TCP port (0 = pick a free one).'),
        topicPrefix: z
          .string()
          .regex(/^[^#+]+$/, 'topic prefix cannot contain MQTT wildcards')
          .default('edgevis')
          .describe(
            'Topic prefix: <prefix>/<camera>/tracks, <prefix>/<camera>/events, <prefix>/<camera>/status, <prefix>/nodes/<nodeId>/status.',
          ),
        eventQos: z
          .union([z.literal(0), z.literal(1)])
          .default(1)
          .describe('QoS of lifecycle events (snapshots are always QoS 0).'),
        username: z
          .string()
          .optional()
          .describe(
            'External broker: the user edgevis connects as. Embedded broker: the user subscribers must connect as (read-only). Unset = no credentials.',
          ),
        passwordFile: z
          .string()
          .optional()
          .describe(
            "File whose first line is that user's password; EDGEVIS_MQTT_PASSWORD wins. Relative to the config file.",
          ),
        caFile: z
          .string()
          .optional()
          .describe('External broker over TLS (mqtts://): CA certificate file (PEM). Relative to the config file.'),
        allowAnonymous: z
          .boolean()
          .default(false)
          .describe('Embedded broker: accept anonymous readers on a non-loopback host (refused otherwise).'),
        brokerCertFile: z
          .string()
          .optional()
          .describe(
            'Embedded broker: TLS certificate (PEM) for an mqtts:// listener (with brokerKeyFile). Relative to the config file.',
          ),
        brokerKeyFile: z
          .string()
          .optional()
          .describe('Embedded broker: TLS private key (PEM). Relative to the config file.'),
        snapshotsWithoutMasks: z
          .boolean()
          .default(true)
          .describe(
            'Also publish each snapshot without masks on <prefix>/<camera>/tracks/nomask (small, for counters and dashboards).',
          ),
      })
      .strict()
      .prefault({}),
    masks: z.boolean().default(true).describe('Include COCO RLE masks in track snapshots.'),
  })
  .strict();

export const apiSchema = z
  .object({
    tokenFile: z
      .string()
      .optional()
      .describe(
        'File holding the bearer token of the camera API (/api/cameras on the WebSocket port); the environment variable EDGEVIS_API_TOKEN wins. Without a token the API is off. Relative to the config file.',
      ),
    allowedSources: z
      .array(z.string().min(1))
      .default(['rtsp', 'rtsps', 'http', 'https'])
      .describe(
        'What a camera added through the API may read: URL schemes (e.g. rtsp, https) and absolute folders (e.g. /srv/recordings: files and frame folders under it), nothing else. Default: network cameras only, no local file or device (an API client could otherwise open any file the process can read). Cameras in the config file are not limited.',
      ),
  })
  .strict();

/**
 * A fleet: several edgevis nodes sharing one site through NATS JetStream (docs/fleet.md). Absent =
 * one machine (nothing below is used).
 */
export const fleetSchema = z
  .object({
    servers: z
      .array(z.string().regex(/^(nats|tls):\/\/[^\s/]+$/, 'a NATS server URL, e.g. nats://10.0.0.5:4222'))
      .min(1, 'list at least one NATS server of the cluster')
      .describe(
        'NATS servers of the JetStream cluster (any subset: the client learns the rest), e.g. nats://10.0.0.5:4222.',
      ),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/, 'fleet name must be 1-32 letters, digits, "_" or "-"')
      .default('edgevis')
      .describe(
        'Name of the site: prefixes the buckets (<name>_cameras, <name>_leases, <name>_nodes) and the stream (<name>_messages), so several sites can share one cluster.',
      ),
    user: z.string().optional().describe('NATS user; its password comes from EDGEVIS_NATS_PASSWORD or passwordFile.'),
    passwordFile: z
      .string()
      .optional()
      .describe('File whose first line is the NATS password. Relative to the config file.'),
    tokenFile: z
      .string()
      .optional()
      .describe('File whose first line is a NATS token (EDGEVIS_NATS_TOKEN wins). Relative to the config file.'),
    credsFile: z
      .string()
      .optional()
      .describe(
        'NATS credentials file (.creds: JWT + NKey seed) of an operator-mode account. Relative to the config file.',
      ),
    replicas: z
      .number()
      .int()
      .min(1)
      .max(5)
      .optional()
      .describe(
        'Copies of the camera list, the leases and the message stream (Raft): 3 survives one server lost; at most the number of servers in the cluster. Unset: 3, or 1 (with a warning) on a single server.',
      ),
    leaseMs: z
      .number()
      .int()
      .min(1000)
      .default(3000)
      .describe(
        'A camera whose owner did not refresh its lease for this long moves to another node, ms. Shorter = faster failover, more moves when the engine stalls.',
      ),
    heartbeatMs: z
      .number()
      .int()
      .min(100)
      .default(750)
      .describe('How often a node refreshes its leases and says it is alive, ms (at most leaseMs / 3).'),
    bufferMessages: z
      .number()
      .int()
      .min(100)
      .default(50_000)
      .describe(
        'Messages kept while the engine is unreachable; past this the oldest are dropped and announced as a gap.',
      ),
    snapshotHistoryMinutes: z
      .number()
      .positive()
      .default(5)
      .describe(
        'How long the snapshot stream keeps `tracks` messages, minutes (they are superseded; events and states are kept streamMaxAgeHours).',
      ),
    streamMaxAgeHours: z
      .number()
      .positive()
      .default(24)
      .describe('How long the stream keeps messages (history for ?since= and the view), hours.'),
    streamMaxBytes: z
      .number()
      .int()
      .positive()
      .default(1024 ** 3)
      .describe('Largest size of the message stream per replica, bytes; the oldest messages go first.'),
    connectTimeoutMs: z
      .number()
      .int()
      .positive()
      .default(15_000)
      .describe(
        'How long a starting node tries to reach the engine (and JetStream) before it gives up with an error, ms.',
      ),
  })
  .strict()
  .refine((f) => f.heartbeatMs * 3 <= f.leaseMs, {
    message: 'fleet.heartbeatMs must be at most a third of fleet.leaseMs (a lease must survive two lost heartbeats)',
    path: ['heartbeatMs'],
  });

export const configSchema = z
  .object({
    cameras: z
      .array(cameraSchema)
      .describe(
        'The inputs, one graph each. In a fleet: seeds the site camera list (cameras already listed are kept as they are).',
      ),
    model: z
      .preprocess((v) => (typeof v === 'string' ? { profile: v } : v), modelSchema)
      .prefault({})
      .describe('The segmentation model (or a profile name as shorthand).'),
    embedder: embedderSchema.prefault({}),
    tracker: trackerSchema.prefault({}),
    publish: publishSchema.prefault({}),
    api: apiSchema.prefault({}),
    statusIntervalMs: z.number().int().positive().default(1000).describe('Status line interval, ms.'),
    stateDir: z
      .string()
      .optional()
      .describe(
        "Folder where edgevis keeps what must survive a restart (the last run epoch, so sequence numbers and event ids keep increasing even if the clock goes back). Default: $EDGEVIS_STATE_DIR, else systemd's $STATE_DIRECTORY; unset = none (the run epoch is the start time). Relative to the config file.",
      ),
    recordingsDir: z
      .string()
      .optional()
      .describe(
        "Folder of the cameras' recordings (one sub-folder per camera). Default: <stateDir>/recordings, else ./recordings. Relative to the config file.",
      ),
    maxConcurrentConnects: z
      .number()
      .int()
      .positive()
      .default(4)
      .describe(
        'Cameras that may be connecting (RTSP/HTTP set-up, DNS, TCP, decoder preroll) at the same time; the others wait their turn (state connecting/reconnecting, "waiting for a connection slot"). Streaming cameras never wait: a storm of unreachable cameras cannot slow a healthy one.',
      ),
    nodeId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, 'node id must be 1-64 letters, digits, "_" or "-"')
      .optional()
      .describe(
        'Name of this edgevis process when several publish into one broker or form a fleet (unique per node): its status topic <prefix>/nodes/<nodeId>/status and the node field of camera_status. Default: the host name.',
      ),
    fleet: fleetSchema
      .optional()
      .describe('Run as a node of a fleet on NATS JetStream (docs/fleet.md); absent = one machine.'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.cameras.length === 0 && !cfg.fleet)
      ctx.addIssue({ code: 'custom', path: ['cameras'], message: 'at least one camera is needed' });
    const seen = new Set<string>();
    cfg.cameras.forEach((c, i) => {
      if (seen.has(c.id))
        ctx.addIssue({
          code: 'custom',
          path: ['cameras', i, 'id'],
          message: `duplicate camera id '${c.id}'; ids must be unique`,
        });
      seen.add(c.id);
    });
    if (cfg.tracker.lowScoreThreshold > cfg.tracker.highScoreThreshold) {
      ctx.addIssue({
        code: 'custom',
        path: ['tracker', 'lowScoreThreshold'],
        message: 'must not exceed tracker.highScoreThreshold',
      });
    }
  });

export type CameraConfig = z.infer<typeof cameraSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;
export type TrackerConfig = z.infer<typeof trackerSchema>;
export type PublishConfig = z.infer<typeof publishSchema>;
export type ApiConfig = z.infer<typeof apiSchema>;
export type FleetConfig = z.infer<typeof fleetSchema>;
export type EdgevisConfig = z.infer<typeof configSchema>;
/** The config as a user writes it (defaults optional). */
export type EdgevisConfigInput = z.input<typeof configSchema>;
