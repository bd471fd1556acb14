import type { SourceProgress } from '../../operators/sources/source-spec.js';
import type { CAMERA_STATES } from '../../operators/wire/message-schema.js';
import type { SamplingStats } from '../../operators/sample-frames.js';
import type { RecordingState } from '../media/camera-recorder.js';

/**
 * Where a camera is in its life: `starting` (loading models), then, for a camera (RTSP, HTTP,
 * v4l2), its supervised health (`connecting`, `streaming`, `stalled`, `reconnecting`), or
 * `streaming` for a recording; finally `ended` (a recording finished), `failed` (permanent
 * error, or the reconnect budget ran out) or `stopped`.
 */
export type CameraState = (typeof CAMERA_STATES)[number];

/** Live state of one camera, for the status line, progress displays and the final report. */
export interface CameraStatus {
  readonly id: string;
  state: CameraState;
  /** Message of the error that failed the camera. */
  error?: string;
  /** Machine-readable code of that error (a `SourceErrorCode` or `ModelErrorCode`), when it has one. */
  errorCode?: string;
  /** Why the camera is in its state (the last loss while stalled or reconnecting). */
  reason: string;
  /** The last problem that did not stop the source (a corrupt frame skipped, a truncated file), for the final report. */
  lastWarning?: string;
  /** Times the camera came back after a loss (disconnect, error, stall), since it started. */
  reconnects: number;
  /** Frames received from the source and dropped by the sampler. */
  readonly sampling: SamplingStats;
  /** What the source knows about its length (progress bars). */
  readonly source: SourceProgress;
  framesProcessed: number;
  /** Confirmed tracks matched in the latest frame. */
  activeTracks: number;
  /** Tracks confirmed so far (ids handed out). */
  tracksStarted: number;
  /** Tracks ended so far (lost, end of stream, stop). */
  tracksEnded: number;
  /** Sum of the segmenter's instances over processed frames. */
  detections: number;
  /** Latency of the latest processed frame, source to published, ms (metrics only; 0 before any). */
  latencyMs: number;
  /** Sum of segmenter wall time over processed frames, ms (metrics only). */
  inferenceMs: number;
  lastFrameIndex: number;
  /** Wall-clock ms (performance.now) of the first and latest processed frame (metrics only). */
  firstFrameAt: number;
  lastFrameAt: number;
  /** Where the camera's recording stands (absent: recording not configured). */
  readonly recording?: RecordingState;
  /** Snapshots written (JPEG bytes, failures) since the camera (re)started (absent: snapshots off; metrics only). */
  readonly snapshotCounters?: Readonly<{ snapshots: number; bytes: number; errors: number }>;
  /** Event clips made (MP4 bytes, failures) since the camera (re)started (absent: clips off; metrics only). */
  readonly clipCounters?: Readonly<{ clips: number; bytes: number; errors: number }>;
}

/**
 * Frames processed per wall-clock second between a camera's first and latest processed frame
 * (metrics only); 0 before two frames were processed.
 */
export function processingFps(status: Pick<CameraStatus, 'framesProcessed' | 'firstFrameAt' | 'lastFrameAt'>): number {
  const seconds = (status.lastFrameAt - status.firstFrameAt) / 1000;
  return status.framesProcessed > 1 && seconds > 0 ? (status.framesProcessed - 1) / seconds : 0;
}

/** Frames that never reached the model: replaced by a newer one while it was busy, or skipped by the source. */
export function droppedFrames(c: CameraStatus): number {
  return c.sampling.dropped + c.sampling.skippedBySource;
}
