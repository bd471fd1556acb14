import type { Subscription } from 'rxjs';
import type { CameraConfig } from '../config/schema.js';
import type { Tracker } from '../models/tracker.js';
import type { Tracks } from '../models/tracks.js';
import type { TrackPublisher } from '../operators/publish-tracks.js';
import type { SamplingStats } from '../operators/sample-frames.js';
import type { SourceProgress } from '../operators/sources/source-spec.js';
import { cameraGraph, sourceSpecOf } from './camera-graph.js';
import type { Logger } from './logger.js';
import type { ModelRegistry } from './model-registry.js';

/** Where a camera is in its life: loading its models, running its graph, or done (and why). */
export type CameraState = 'starting' | 'running' | 'ended' | 'failed' | 'stopped';

/** Live state of one camera, for the status line, progress displays and the final report. */
export interface CameraStatus {
  readonly id: string;
  state: CameraState;
  /** Message of the error that failed the camera. */
  error?: string;
  /** Machine-readable code of that error (a `SourceErrorCode` or `ModelErrorCode`), when it has one. */
  errorCode?: string;
  /** Frames received from the source and dropped by the sampler. */
  readonly sampling: SamplingStats;
  /** What the source knows about its length (progress bars). */
  readonly source: SourceProgress;
  framesProcessed: number;
  /** Confirmed tracks matched in the latest frame. */
  activeTracks: number;
  /** Tracks confirmed so far (ids handed out). */
  tracksStarted: number;
  /** Sum of the segmenter's instances over processed frames. */
  detections: number;
  /** Sum of segmenter wall time over processed frames, ms (metrics only). */
  inferenceMs: number;
  lastFrameIndex: number;
  /** Wall-clock ms (performance.now) of the first and latest processed frame (metrics only). */
  firstFrameAt: number;
  lastFrameAt: number;
}

/**
 * Frames processed per wall-clock second between a camera's first and latest processed frame
 * (metrics only); 0 before two frames were processed.
 */
export function processingFps(status: Pick<CameraStatus, 'framesProcessed' | 'firstFrameAt' | 'lastFrameAt'>): number {
  const seconds = (status.lastFrameAt - status.firstFrameAt) / 1000;
  return status.framesProcessed > 1 && seconds > 0 ? (status.framesProcessed - 1) / seconds : 0;
}

/** What a camera's run takes from the process. */
export interface CameraRunParts {
  readonly models: ModelRegistry;
  readonly publishers: readonly TrackPublisher[];
  readonly withMasks: boolean;
  /** The camera's tracker (one per camera, kept across reconnects). */
  readonly createTracker: (camera: CameraConfig) => Tracker;
  readonly logger: Logger;
  /** Called with each of the camera's items after publishing. */
  readonly onTracks?: (tracks: Tracks, status: CameraStatus) => void;
}

/**
 * One camera's run: loads its models (shared through the registry), subscribes its graph,
 * keeps its {@link CameraStatus}, and stops it. A camera whose source or model fails reports
 * its error in its status and its log and ends; it never touches another camera.
 */
export class CameraRun {
  readonly status: CameraStatus;
  /** Resolves with the status once the camera ended, failed or was stopped. */
  readonly done: Promise<CameraStatus>;
  private subscription: Subscription | null = null;
  private stopping = false;
  private settle!: () => void;

  constructor(readonly camera: CameraConfig, private readonly parts: CameraRunParts) {
    this.status = {
      id: camera.id, state: 'starting', sampling: { received: 0, dropped: 0 }, source: { expectedFrames: null }, framesProcessed: 0, activeTracks: 0,
      tracksStarted: 0, detections: 0, inferenceMs: 0, lastFrameIndex: -1, firstFrameAt: 0, lastFrameAt: 0,
    };
    this.done = new Promise<void>((resolve) => { this.settle = resolve; }).then(() => this.status);
    this.start();
  }

  /** Stops the camera: its source drains with EOS; `done` resolves with state `stopped` (unless it had already ended). Idempotent. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.status.state === 'running' || this.status.state === 'starting') this.status.state = 'stopped';
    this.subscription?.unsubscribe();
    this.settle(); // an unsubscribed graph never completes on its own
  }

  private start(): void {
    const { camera, parts, status } = this;
    const log = parts.logger.child({ camera: camera.id });
    const fail = (err: Error) => {
      if (this.stopping) return;
      status.state = 'failed';
      status.error = err.message;
      status.errorCode = (err as { code?: string }).code;
      log.error({ err: err.message, code: status.errorCode }, `camera '${camera.id}' stopped: ${err.message}`);
      this.settle();
    };
    Promise.all([parts.models.segmenterFor(camera), parts.models.embedder()]).then(([segmenter, embedder]) => {
      if (this.stopping) return;
      const spec = sourceSpecOf(camera);
      status.state = 'running';
      log.info({ source: spec.source, kind: spec.kind, realtime: spec.realtime }, `camera '${camera.id}' reading ${spec.kind} ${spec.source}`);
      const graph = cameraGraph(camera, {
        segmenter, embedder, tracker: parts.createTracker(camera), publishers: parts.publishers, withMasks: parts.withMasks,
        onReconnect: (attempt, err) => log.warn({ attempt, err: err.message }, `camera '${camera.id}' source failed, reconnecting in ${camera.reconnectDelayMs} ms`),
      }, status.sampling, status.source);
      this.subscription = graph.subscribe({
        next: (tracks) => { this.count(tracks); parts.onTracks?.(tracks, status); },
        error: fail,
        complete: () => {
          status.state = 'ended';
          log.info({ frames: status.framesProcessed, tracks: status.tracksStarted }, `camera '${camera.id}' reached end of stream`);
          this.settle();
        },
      });
    }, fail);
  }

  private count(tracks: Tracks): void {
    if (tracks.kind !== 'frame') return;
    const s = this.status;
    const now = performance.now();
    if (s.framesProcessed === 0) s.firstFrameAt = now;
    s.lastFrameAt = now;
    s.framesProcessed++;
    s.lastFrameIndex = tracks.frameIndex;
    s.detections += tracks.detectionCount;
    s.inferenceMs += tracks.inferenceMs;
    s.activeTracks = tracks.active.length;
    s.tracksStarted += tracks.started.length;
  }
}
