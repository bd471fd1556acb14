import type { Frame, FrameTiming } from './frame.js';
import type { InstanceMask } from './instance-mask.js';

/** Track lifecycle (DeepSORT / ByteTrack): tentative → confirmed ⇄ lost → removed. */
export type TrackLifecycle = 'tentative' | 'confirmed' | 'lost' | 'removed';

/** One track as seen in one frame. Box in frame pixels (x1, y1, x2, y2). */
export interface TrackObservation {
  /** Stable track id, unique within the camera, starting at 1. */
  readonly trackId: number;
  readonly classId: number;
  readonly className: string;
  /** Detection confidence of the matched instance, [0, 1]. */
  readonly score: number;
  /** x1, y1, x2, y2 in frame pixels. */
  readonly box: readonly [number, number, number, number];
  /** Mask of the matched instance in frame pixels, or null for detection-only models. */
  readonly mask: InstanceMask | null;
  /** Frames since this track was first seen (0 on its first frame). */
  readonly age: number;
}

/** Summary of a track's life, sent when it starts and ends. */
export interface TrackSummary {
  readonly trackId: number;
  readonly classId: number;
  readonly className: string;
  /** Frame index of the first detection. */
  readonly firstFrame: number;
  /** Frame index of the last matched detection. */
  readonly lastFrame: number;
  /** Media timestamps (ms) of first and last matched detection. */
  readonly firstPtsMs: number;
  readonly lastPtsMs: number;
  /** Number of frames with a matched detection. */
  readonly hits: number;
  /** Mean detection score over the matched frames. */
  readonly meanScore: number;
  /** Why it ended. Absent on start. */
  readonly endReason?: TrackEndReason;
}

/**
 * Why a track ended: lost for too long, the recording ended, edgevis was stopped, or its camera
 * was removed or restarted while edgevis ran (camera API, config reload).
 */
export type TrackEndReason =
  | 'lost-timeout'
  | 'end-of-stream'
  | 'shutdown'
  | 'camera-removed'
  | 'camera-restarted'
  | 'resolution-changed';

/** One zone or line event of a frame (see `ZoneAnalytics` in models/analytics/). */
export type ZoneEvent =
  | { readonly kind: 'zone_entered'; readonly zone: string; readonly trackId: number }
  | { readonly kind: 'zone_exited'; readonly zone: string; readonly trackId: number; readonly dwellMs: number }
  | {
      readonly kind: 'line_crossed';
      readonly line: string;
      readonly trackId: number;
      readonly direction: 'left-to-right' | 'right-to-left';
    };

/**
 * Hop 3 of the graph (track → publish), for one processed frame: the state of one camera's
 * tracks after that frame. `active` holds confirmed tracks matched in this frame; `started`
 * tracks that became confirmed in this frame; `ended` tracks removed in this frame.
 */
export interface FrameTracks {
  readonly kind: 'frame';
  readonly cameraId: string;
  readonly frameIndex: number;
  /** Media timestamp, ms. */
  readonly ptsMs: number;
  /** Frame size in pixels (masks are encoded at this resolution). */
  readonly width: number;
  readonly height: number;
  readonly active: readonly TrackObservation[];
  readonly started: readonly TrackSummary[];
  readonly ended: readonly TrackSummary[];
  /** Number of instances the segmenter returned for this frame. */
  readonly detectionCount: number;
  /** Segmenter wall time, ms (metrics only). */
  readonly inferenceMs: number;
  /** The frame's stage times (metrics only), when its source keeps them. */
  readonly timing?: FrameTiming;
  /**
   * The frame these tracks were found in, while its pixels are still in the graph (the stages
   * that read pixels after tracking, e.g. snapshots, run before `recycleFramePixels`); never published.
   */
  readonly frame?: Frame;
  /** Zone and line events of this frame, when the camera has zones or lines (see `ZoneAnalytics`). */
  readonly zoneEvents?: readonly ZoneEvent[];
  /** Tracks inside each zone after this frame, by zone name. */
  readonly occupancy?: Readonly<Record<string, number>>;
  /** Event id → id of the event clip the event is part of (cameras with clips on; see `gatherClips`). */
  readonly clipOf?: Readonly<
    Record<string, string>
  > /** Ended tracks whose best snapshot is being written (cameras with snapshots on; see `selectSnapshots`). */;
  readonly snapshotted?: readonly number[];
}

/**
 * Hop 3 of the graph, once at the end of a stream (or of the camera's run): every track still alive is ended. It is no
 * frame: it has no snapshot, no pixels and no frame credit. `frameIndex`/`ptsMs` are those of
 * the last processed frame, so the end events keep media time.
 */
export interface StreamEnded {
  readonly kind: 'stream-ended';
  readonly cameraId: string;
  readonly frameIndex: number;
  /** Media timestamp of the last processed frame, ms. */
  readonly ptsMs: number;
  readonly ended: readonly TrackSummary[];
  /** Zone exits of the tracks ended here (they leave every zone). */
  readonly zoneEvents?: readonly ZoneEvent[];
  /** Event id → id of the event clip the event is part of (cameras with clips on). */
  readonly clipOf?: Readonly<
    Record<string, string>
  > /** Ended tracks whose best snapshot is being written (cameras with snapshots on; see `selectSnapshots`). */;
  readonly snapshotted?: readonly number[];
}

/** What travels from the tracker to the publishers: one item per processed frame, then (maybe) the end. */
export type Tracks = FrameTracks | StreamEnded;
