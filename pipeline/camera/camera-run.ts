import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import type { CameraConfig } from '../../config/schema.js';
import type { Detections } from '../../models/detections.js';
import type { Tracker } from '../../models/tracker.js';
import type { Tracks } from '../../models/tracks.js';
import { publishMessages, type TrackPublisher } from '../../operators/publish-tracks.js';
import { MESSAGE_SCHEMA_VERSION } from '../../operators/wire/message-schema.js';
import { MessageSequence } from '../../operators/wire/message-sequence.js';
import { toTrackMessages } from '../../operators/wire/track-messages.js';
import { redactSecrets, redactSource, type SourceError } from '../../operators/sources/source-error.js';
import type { ConnectionSlots } from '../../operators/sources/connection-slots.js';
import type { CameraRecorder } from '../media/camera-recorder.js';
import type { CameraState, CameraStatus } from './camera-status.js';
import { SnapshotSelector, type TrackSnapshot } from '../../models/analytics/snapshot-selector.js';
import { SnapshotWriter } from '../media/snapshot-writer.js';
import { ClipMaker } from '../media/clip-maker.js';
import type { SourceHealthChange } from '../../operators/sources/supervise-live-source.js';
import { cameraGraph, isSupervised, sourceSpecOf } from './camera-graph.js';
import type { Logger } from '../process/logger.js';
import type { ModelRegistry } from '../model-selection/model-registry.js';

/** What a camera's run takes from the process. */
export interface CameraRunParts {
  readonly models: ModelRegistry;
  readonly publishers: readonly TrackPublisher[];
  readonly withMasks: boolean;
  /** The camera's tracker (one per camera, kept across reconnects). */
  readonly createTracker: (camera: CameraConfig) => Tracker;
  /** This process's node id (in camera_status messages). */
  readonly nodeId: string;
  /** The camera's message counter, when it continues one (a restart); default a new one of run `epoch`. */
  readonly sequence?: MessageSequence;
  /** This run's epoch (`runEpoch`; 0 in a replay): where a new camera's sequence numbers start. */
  readonly epoch?: number;
  /** The process's bound on cameras connecting at once. */
  readonly connectionSlots?: ConnectionSlots;
  /** The camera's recording (segments written beside the decoding), when configured. */
  readonly recorder?: CameraRecorder;
  /** Folder of the camera's snapshots (used when `snapshots.enabled`). */
  readonly snapshotsDir?: string;
  /** Folder of the camera's event clips (used when `clips.enabled`). */
  readonly clipsDir?: string;
  readonly logger: Logger;
  /** Called with each of the camera's items after publishing. */
  readonly onTracks?: (tracks: Tracks, status: CameraStatus) => void;
  /** Called with each frame's detections while its pixels are here (viewer pictures). */
  readonly onSegmented?: (detections: Detections) => void;
}

/**
 * One camera's run: loads its models (shared through the registry), subscribes its graph,
 * keeps its {@link CameraStatus}, and stops it. Every change of state is logged once and
 * published as a `camera_status` message (retained on MQTT). A camera whose source or model
 * fails for good reports its error in its status and its log and ends; it never touches
 * another camera. Stopping ends its open tracks (reason `shutdown`, or `camera-removed` /
 * `camera-restarted` while edgevis runs on) before it returns.
 */
export class CameraRun {
  readonly status: CameraStatus;
  /** Resolves with the status once the camera ended, failed or was stopped. */
  readonly done: Promise<CameraStatus>;
  private subscription: Subscription | null = null;
  private tracker: Tracker | null = null;
  private stopping = false;
  /** Numbers every message of this camera (kept across a restart through `parts.sequence`). */
  readonly sequence: MessageSequence;
  private settle!: () => void;
  private readonly log: Logger;
  /** Code of the current state's cause, if any. */
  private lastCode: string | undefined;
  /** Best snapshot per track, when the camera has snapshots on. */
  private readonly snapshots: { selector: SnapshotSelector; writer: SnapshotWriter } | null;
  /** Event clips, when the camera has clips on and a recorder. */
  private readonly clips: ClipMaker | null;
  /** Size of the frames processed last, pixels (null before the first). */
  private frameSize: { width: number; height: number } | null = null;

  constructor(
    readonly camera: CameraConfig,
    private readonly parts: CameraRunParts,
  ) {
    this.status = {
      id: camera.id,
      state: 'starting',
      reason: 'loading models',
      reconnects: 0,
      sampling: { received: 0, dropped: 0, skippedBySource: 0 },
      source: { expectedFrames: null, corruptFrames: 0, onWarning: (w) => this.onSourceWarning(w) },
      framesProcessed: 0,
      activeTracks: 0,
      tracksStarted: 0,
      tracksEnded: 0,
      detections: 0,
      latencyMs: 0,
      inferenceMs: 0,
      lastFrameIndex: -1,
      firstFrameAt: 0,
      lastFrameAt: 0,
    };
    const recorder = parts.recorder;
    if (recorder?.settings.enabled)
      Object.defineProperty(this.status, 'recording', { get: () => recorder.state, enumerable: true });
    this.log = parts.logger.child({ camera: camera.id });
    this.sequence = parts.sequence ?? new MessageSequence(parts.epoch ?? 0);
    this.done = new Promise<void>((resolve) => {
      this.settle = resolve;
    }).then(() => this.status);
    this.snapshots =
      camera.snapshots.enabled && parts.snapshotsDir
        ? {
            selector: new SnapshotSelector(),
            writer: new SnapshotWriter(
              camera.id,
              parts.snapshotsDir,
              camera.snapshots,
              this.sequence.epoch,
              {
                message: (m) => publishMessages(parts.publishers, [m], this.sequence),
                jpeg: (label, jpeg) => {
                  for (const p of parts.publishers) p.publishSnapshot?.(camera.id, label, jpeg);
                },
                written: (file, bytes) => parts.recorder?.noteWritten(join('snapshots', file), 'snapshot', bytes),
              },
              this.log,
            ),
          }
        : null;
    this.clips =
      camera.clips.enabled && parts.recorder && parts.clipsDir
        ? new ClipMaker(
            camera.id,
            parts.clipsDir,
            camera.clips,
            parts.recorder,
            this.sequence.epoch,
            (m) => publishMessages(parts.publishers, [m], this.sequence),
            this.log,
          )
        : null;
    // Not enumerable: the counters stay out of the status messages and reports.
    if (this.snapshots)
      Object.defineProperty(this.status, 'snapshotCounters', {
        value: this.snapshots.writer.counters,
        enumerable: false,
      });
    if (this.clips)
      Object.defineProperty(this.status, 'clipCounters', { value: this.clips.counters, enumerable: false });
    this.setState('starting', 'loading models');
    this.start();
  }

  /**
   * Stops the camera: unsubscribes its graph (the source drains with EOS), ends its open tracks
   * with `reason` and publishes that, then reports `stopped` (unless it had already ended or
   * failed); `done` resolves. Idempotent.
   * @returns the camera's tracker (empty now, its id counter kept), for a restart that continues the ids
   */
  stop(reason: 'shutdown' | 'camera-removed' | 'camera-restarted' = 'shutdown'): Tracker | null {
    if (this.stopping) return this.tracker;
    this.stopping = true;
    this.subscription?.unsubscribe();
    const ending = this.tracker?.end(reason);
    // As in the graph: snapshots chosen and clips told before the end is published, so its events name them.
    const snapshots = ending && this.snapshots ? this.snapshots.selector.observe(ending) : [];
    const clipOf = ending && this.clips?.observe(ending);
    const end = ending && {
      ...ending,
      ...(clipOf ? { clipOf } : {}),
      ...(snapshots.length ? { snapshotted: snapshots.map((s) => s.trackId) } : {}),
    };
    if (end && end.ended.length > 0)
      publishMessages(this.parts.publishers, toTrackMessages(end, false, this.sequence.epoch), this.sequence);
    for (const s of snapshots) this.snapshots!.writer.write(s);
    this.closing = this.clips?.close() ?? null;
    if (end) this.status.tracksEnded += end.ended.length;
    const why = {
      shutdown: 'edgevis stopped the camera',
      'camera-removed': 'the camera was removed',
      'camera-restarted': 'the camera is restarting',
    }[reason];
    if (this.status.state !== 'ended' && this.status.state !== 'failed') this.setState('stopped', why);
    this.settle(); // an unsubscribed graph never completes on its own
    return this.tracker;
  }

  /** Resolves once the snapshots of ended tracks and the last clip are written (before the publishers close). */
  async flushSnapshots(): Promise<void> {
    await Promise.all([this.snapshots?.writer.flush(), this.closing]);
  }

  /** The last clip being made when the camera stopped. */
  private closing: Promise<void> | null = null;

  /** What the camera's snapshots cost and gave, for metrics (null without snapshots). */
  get snapshotCounters(): Readonly<SnapshotWriter['counters']> | null {
    return this.snapshots?.writer.counters ?? null;
  }

  /** Publishes the camera's state again, unchanged (its model changed: the message carries it). */
  publishStatus(): void {
    if (this.stopping) return;
    this.setState(this.status.state, this.status.reason, this.lastCode);
  }

  /** Records, logs (one line) and publishes a change of state. */
  private setState(state: CameraState, unredacted: string, code?: string): void {
    const s = this.status;
    // A reason may quote a URL (an error from GStreamer); it goes to logs, messages and HTTP answers.
    const reason = redactSecrets(unredacted);
    this.lastCode = code;
    const model = this.parts.models.modelOf(this.camera);
    s.state = state;
    s.reason = reason;
    const level = state === 'failed' ? 'error' : state === 'stalled' || state === 'reconnecting' ? 'warn' : 'info';
    this.log[level](
      { state, reason, ...(code ? { code } : {}), reconnects: s.reconnects },
      `camera '${this.camera.id}' ${state}: ${reason}`,
    );
    publishMessages(
      this.parts.publishers,
      [
        {
          schema: MESSAGE_SCHEMA_VERSION,
          type: 'camera_status',
          camera: this.camera.id,
          node: this.parts.nodeId,
          state,
          reason,
          ...(code ? { code } : {}),
          reconnects: s.reconnects,
          lastFrameIndex: s.lastFrameIndex,
          ...(model ? { model } : {}),
          ...(s.recording ? { recording: { ...s.recording } } : {}),
        },
      ],
      this.sequence,
    );
  }

  /** A problem that did not stop the source (a corrupt frame skipped, a truncated file): one warning line, kept as the reason. */
  private onSourceWarning(warning: SourceError): void {
    this.status.lastWarning = redactSecrets(warning.message);
    this.log.warn({ code: warning.code, source: warning.source }, warning.message);
  }

  private onHealth(change: SourceHealthChange): void {
    if (this.stopping || change.state === 'failed') return; // failure arrives as the graph's error
    this.status.reconnects = change.reconnects;
    this.setState(change.state, change.reason, change.code);
  }

  private start(): void {
    const { camera, parts, status } = this;
    const fail = (err: Error) => {
      if (this.stopping) return;
      status.error = redactSecrets(err.message);
      status.errorCode = (err as { code?: string }).code;
      this.setState('failed', err.message, status.errorCode);
      this.settle();
    };
    Promise.all([parts.models.segmenterFor(camera), parts.models.embedder()]).then(([segmenter, embedder]) => {
      if (this.stopping) return;
      const spec = sourceSpecOf(camera);
      const shown = redactSource(spec.source);
      this.log.info(
        { source: shown, kind: spec.kind, realtime: spec.realtime },
        `camera '${camera.id}' reading ${spec.kind} ${shown}`,
      );
      const supervised = isSupervised(camera, spec);
      if (!supervised) this.setState('streaming', `reading ${spec.kind}`);
      this.tracker = parts.createTracker(camera);
      const graph = cameraGraph(
        camera,
        {
          segmenter,
          embedder,
          tracker: this.tracker,
          publishers: parts.publishers,
          withMasks: parts.withMasks,
          sequence: this.sequence,
          onHealth: (change) => this.onHealth(change),
          onSegmented: parts.onSegmented,
          connectionSlots: parts.connectionSlots,
          recorder: parts.recorder,
          ...(this.snapshots
            ? {
                snapshots: {
                  selector: this.snapshots.selector,
                  onSnapshot: (s: TrackSnapshot) => this.snapshots!.writer.write(s),
                },
              }
            : {}),
          ...(this.clips ? { clips: this.clips } : {}),
        },
        status.sampling,
        status.source,
      );
      this.subscription = graph.subscribe({
        next: (tracks) => {
          this.count(tracks);
          parts.onTracks?.(tracks, status);
        },
        error: fail,
        complete: () => {
          this.setState(
            'ended',
            `${supervised ? 'reached maxFrames' : 'end of stream'} after ${status.framesProcessed} frames, ${status.tracksStarted} tracks`,
          );
          this.settle();
        },
      });
    }, fail);
  }

  /**
   * Zones and lines are in frame pixels: when the frame size becomes known, and again when it
   * changes (a camera that came back at another resolution; its tracks were ended with reason
   * `resolution-changed`), one warning names every zone or line with a point outside the frame.
   */
  private onFrameSize(width: number, height: number): void {
    const before = this.frameSize;
    this.frameSize = { width, height };
    if (before) {
      this.log.warn(
        { from: `${before.width}x${before.height}`, to: `${width}x${height}` },
        `camera '${this.camera.id}' frame size changed from ${before.width}x${before.height} to ${width}x${height}: its tracks ended (resolution-changed) and start again in the new size`,
      );
    }
    const outside = (p: readonly [number, number]) => p[0] > width || p[1] > height;
    const names = [
      ...this.camera.zones.filter((z) => z.polygon.some(outside)).map((z) => `zone '${z.name}'`),
      ...this.camera.lines.filter((l) => outside(l.from) || outside(l.to)).map((l) => `line '${l.name}'`),
    ];
    if (names.length)
      this.log.warn(
        { width, height, outside: names },
        `camera '${this.camera.id}': ${names.join(', ')} reach outside the ${width}x${height} frame; zone and line points are frame pixels`,
      );
  }

  private count(tracks: Tracks): void {
    const s = this.status;
    s.tracksEnded += tracks.ended.length;
    if (tracks.kind !== 'frame') return;
    const now = performance.now();
    if (s.framesProcessed === 0) s.firstFrameAt = now;
    if (this.frameSize?.width !== tracks.width || this.frameSize?.height !== tracks.height)
      this.onFrameSize(tracks.width, tracks.height);
    s.lastFrameAt = now;
    s.framesProcessed++;
    s.lastFrameIndex = tracks.frameIndex;
    s.detections += tracks.detectionCount;
    s.inferenceMs += tracks.inferenceMs;
    s.activeTracks = tracks.active.length;
    s.tracksStarted += tracks.started.length;
    const t = tracks.timing;
    if (t?.publishedAt !== undefined) s.latencyMs = t.publishedAt - t.receivedAt;
  }
}
