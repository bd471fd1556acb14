import { z } from 'zod';

/**
 * The one configuration schema of edgevis. Every field has a documented default and unit;
 * `edgevis config --print-defaults` prints the resolved defaults.
 */

const cameraId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/,
  'camera id must be 1-64 letters, digits, "_" or "-" (it is used in MQTT topics)');

/** One input: a file, an RTSP URL, a v4l2 device, or a folder of JPEG frames. */
export const cameraSchema = z.object({
  /** Camera id; topic segment and key of all per-camera state. */
  id: cameraId,
  /** File path, rtsp:// URL, /dev/videoN, or a folder of .jpg frames (YouTube-VIS / DAVIS layout). */
  source: z.string().min(1, 'source must name a file, rtsp:// URL, /dev/videoN or frame folder'),
  /** Source kind; 'auto' infers it from the source string. */
  kind: z.enum(['auto', 'file', 'rtsp', 'v4l2', 'frames']).default('auto'),
  /** Files and frame folders: pace frames by media timestamps like a live camera (newest frame wins). */
  realtime: z.boolean().default(false),
  /** Stop after this many frames (files / folders); unset = whole input. */
  maxFrames: z.number().int().positive().optional(),
  /** Frame rate assumed for frame folders, frames per second. */
  folderFps: z.number().positive().default(10),
  /** Live sources: reconnect after a failure, waiting this many ms (0 = never reconnect). */
  reconnectDelayMs: z.number().int().nonnegative().default(2000),
  /** Live sources: give up after this many failed reconnects in a row. */
  maxReconnects: z.number().int().nonnegative().default(10),
  /** Model for this camera: a file name in the model dir or a path; unset = `model.path` / `model.file`. */
  model: z.string().optional(),
  /** RTSP transport latency budget for rtspsrc, ms. */
  rtspLatencyMs: z.number().int().nonnegative().default(200),
}).strict();

export const modelSchema = z.object({
  /** Explicit model file; overrides dir/file. */
  path: z.string().optional(),
  /** Folder holding models; default: $EDGEVIS_MODEL_DIR, else ../shared/models next to the project. */
  dir: z.string().optional(),
  /** Model file name inside `dir`. */
  file: z.string().default('yolov8n-seg_int8.onnx'),
  /** Execution providers in preference order; unavailable ones fall back to the next (cpu last). */
  executionProviders: z.array(z.enum(['cuda', 'webgpu', 'cpu'])).min(1).default(['cuda', 'webgpu', 'cpu']),
  /** onnxruntime intra-op threads (0 = onnxruntime's default, all cores). */
  intraOpThreads: z.number().int().nonnegative().default(0),
  /** Minimum class score for a detection to leave the segmenter, [0, 1]. */
  confidenceThreshold: z.number().min(0).max(1).default(0.25),
  /** Per-class NMS IoU threshold, [0, 1]. */
  nmsIouThreshold: z.number().min(0).max(1).default(0.45),
  /** At most this many instances per frame. */
  maxDetections: z.number().int().positive().default(100),
  /** Keep only these class names (empty = all). */
  classes: z.array(z.string()).default([]),
  /** Mask probability threshold, (0, 1). */
  maskThreshold: z.number().gt(0).lt(1).default(0.5),
}).strict();

export const embedderSchema = z.object({
  /**
   * Appearance features for the tracker's memory:
   * 'auto': the OSNet re-identification model when its file is found, else 'histogram' (the log says which);
   * 'osnet': the re-identification model (error when missing);
   * 'histogram': colour histograms inside the mask (upper/lower body), no model needed;
   * 'none': motion and overlap only.
   */
  kind: z.enum(['auto', 'osnet', 'histogram', 'none']).default('auto'),
  /** Re-identification model: explicit path; overrides `file` (looked up like the segmentation model). */
  path: z.string().optional(),
  /** Re-identification model file name, looked up in model.dir, $EDGEVIS_MODEL_DIR, ../shared/models. */
  file: z.string().default('osnet_x0_25_msmt17.onnx'),
}).strict();

/** Tracker thresholds; units in each comment. Defaults are tuned on PETS09-S2L1 (see README). */
export const trackerSchema = z.object({
  /** Detections at or above this score take part in the first association stage (ByteTrack τ_high). */
  highScoreThreshold: z.number().min(0).max(1).default(0.5),
  /** Detections between this and highScoreThreshold are only used to continue tracks (ByteTrack second stage). */
  lowScoreThreshold: z.number().min(0).max(1).default(0.25),
  /** An unmatched detection starts a new track only at or above this score. */
  newTrackScoreThreshold: z.number().min(0).max(1).default(0.6),
  /** Matches needed before a tentative track is confirmed (and published), frames. */
  confirmHits: z.number().int().positive().default(3),
  /** A lost track is removed after this many frames without a match. */
  maxLostFrames: z.number().int().nonnegative().default(60),
  /** ... or after this many seconds of media time without a match, whichever comes first. */
  maxLostSeconds: z.number().nonnegative().default(10),
  /** Minimum IoU between a track's predicted box and a detection for a motion match, [0, 1]. */
  minIoU: z.number().min(0).max(1).default(0.2),
  /** Weight of appearance distance in the association cost, [0, 1] (rest is 1 - IoU). */
  appearanceWeight: z.number().min(0).max(1).default(0.5),
  /** Maximum cosine distance for an appearance match, [0, 2]. */
  maxAppearanceDistance: z.number().min(0).max(2).default(0.3),
  /** Lost tracks re-identified by appearance alone must be within this cosine distance, [0, 2]. */
  reidDistance: z.number().min(0).max(2).default(0.2),
  /** Re-identification search radius for lost tracks, in box heights from the predicted centre. */
  reidMaxJump: z.number().positive().default(4),
  /** Appearance prototypes kept per track (memory size). */
  memorySize: z.number().int().positive().default(8),
  /** EMA momentum of the running appearance embedding, [0, 1). */
  embeddingMomentum: z.number().min(0).lt(1).default(0.9),
  /** Update the appearance memory only from detections at least this confident, [0, 1]. */
  memoryMinScore: z.number().min(0).max(1).default(0.6),
  /** ... and only when no other detection overlaps it by more than this IoU (occlusion guard), [0, 1]. */
  memoryMaxOverlap: z.number().min(0).max(1).default(0.15),
  /** Never match a detection to a track of another class. */
  classAware: z.boolean().default(true),
}).strict();

export const publishSchema = z.object({
  websocket: z.object({
    enabled: z.boolean().default(true),
    /** Listen address; 127.0.0.1 keeps it local, 0.0.0.0 exposes it. */
    host: z.string().default('127.0.0.1'),
    /** TCP port (0 = pick a free one). */
    port: z.number().int().min(0).max(65535).default(8765),
    /** Drop snapshots for a client whose send buffer exceeds this many bytes (slow consumer), bytes. */
    maxBufferedBytes: z.number().int().positive().default(8 * 1024 * 1024),
  }).strict().prefault({}),
  mqtt: z.object({
    enabled: z.boolean().default(true),
    /** External broker URL (mqtt://host:port); unset = start the embedded aedes broker. */
    url: z.string().optional(),
    /** Embedded broker listen address and port (0 = pick a free one). */
    brokerHost: z.string().default('127.0.0.1'),
    brokerPort: z.number().int().min(0).max(65535).default(1883),
    /** Topic prefix: <prefix>/<camera>/tracks, <prefix>/<camera>/events. */
    topicPrefix: z.string().regex(/^[^#+]+$/, 'topic prefix cannot contain MQTT wildcards').default('edgevis'),
    /** QoS of published messages (snapshots are always QoS 0). */
    eventQos: z.union([z.literal(0), z.literal(1)]).default(1),
  }).strict().prefault({}),
  /** Include COCO RLE masks in track snapshots. */
  masks: z.boolean().default(true),
}).strict();

export const configSchema = z.object({
  cameras: z.array(cameraSchema).min(1, 'at least one camera is needed'),
  model: modelSchema.prefault({}),
  embedder: embedderSchema.prefault({}),
  tracker: trackerSchema.prefault({}),
  publish: publishSchema.prefault({}),
  /** Status line interval, ms. */
  statusIntervalMs: z.number().int().positive().default(1000),
}).strict().superRefine((cfg, ctx) => {
  const seen = new Set<string>();
  cfg.cameras.forEach((c, i) => {
    if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: ['cameras', i, 'id'], message: `duplicate camera id '${c.id}'; ids must be unique` });
    seen.add(c.id);
  });
  if (cfg.tracker.lowScoreThreshold > cfg.tracker.highScoreThreshold) {
    ctx.addIssue({ code: 'custom', path: ['tracker', 'lowScoreThreshold'], message: 'must not exceed tracker.highScoreThreshold' });
  }
});

export type CameraConfig = z.infer<typeof cameraSchema>;
export type ModelConfig = z.infer<typeof modelSchema>;
export type EmbedderConfig = z.infer<typeof embedderSchema>;
export type TrackerConfig = z.infer<typeof trackerSchema>;
export type PublishConfig = z.infer<typeof publishSchema>;
export type EdgevisConfig = z.infer<typeof configSchema>;
/** The config as a user writes it (defaults optional). */
export type EdgevisConfigInput = z.input<typeof configSchema>;
