import { hostname } from 'node:os';
import { join } from 'node:path';
import { nodeIdOf } from '../config/load.js';
import type { CameraConfig, EdgevisConfig } from '../config/schema.js';
import { diffCameras, type CameraDiff } from '../config/diff.js';
import { MemoryTracker } from '../models/tracking/memory-tracker.js';
import type { Tracker } from '../models/tracker.js';
import type { Tracks } from '../models/tracks.js';
import type { TrackPublisher } from '../operators/publish-tracks.js';
import type { MessageSequence } from '../operators/wire/message-sequence.js';
import { ConnectionSlots } from '../operators/sources/connection-slots.js';
import { CameraRun } from './camera/camera-run.js';
import type { CameraStatus } from './camera/camera-status.js';
import { CameraRecorder } from './media/camera-recorder.js';
import { stateDirOf } from './process/run-epoch.js';
import { sourceSpecOf } from './camera/camera-graph.js';
import type { CameraDemand } from './model-selection/choose-profile.js';
import { isLive } from '../operators/sources/source-spec.js';
import type { Logger } from './process/logger.js';
import { ModelRegistry } from './model-selection/model-registry.js';
import { closePublishers, startPublishers } from './publishers/start-publishers.js';
import { healthRoutes } from './http/health.js';
import { mediaRoutes } from './http/media-routes.js';
import type { HttpEdge } from './http/http-edge.js';
import { EdgevisMetrics } from './http/metrics.js';
import { PreviewHub } from './http/viewer/preview-hub.js';
import { type RemoteCamera, viewerRoutes } from './http/viewer/viewer-routes.js';

/** Frame rate assumed for a live camera until its stream declares one (its first frame), frames per second. */
const ASSUMED_LIVE_FPS = 10;

/**
 * What a camera asks of the model: a live source (camera, paced file or folder) its frame rate —
 * declared by its stream once it delivered a frame, else the folder's fps or an assumed
 * {@link ASSUMED_LIVE_FPS}; a file read at full speed nothing (null: it takes what is left).
 */
export function cameraDemand(camera: CameraConfig, status: CameraStatus): CameraDemand {
  const spec = sourceSpecOf(camera);
  if (!isLive(spec)) return { id: camera.id, fps: null, assumed: false };
  const declared = status.source.frameRate ?? (spec.kind === 'frames' ? camera.folderFps : undefined);
  return { id: camera.id, fps: declared ?? ASSUMED_LIVE_FPS, assumed: declared === undefined };
}

/** A camera id that is already running (add) or not running (remove, restart). */
export class CameraSetError extends Error {
  override readonly name = 'CameraSetError';
  constructor(
    readonly code: 'exists' | 'unknown',
    readonly cameraId: string,
  ) {
    super(
      code === 'exists'
        ? `camera '${cameraId}' already runs; remove it first or restart it`
        : `no camera '${cameraId}' runs`,
    );
  }
}

/** A running edgevis: endpoints, per-camera status, the cameras managed while running, and a way to stop. */
export interface EdgevisRuntime {
  readonly websocketUrl: string | null;
  readonly mqttUrl: string | null;
  readonly embeddedBroker: boolean;
  /** The HTTP server of the WebSocket endpoint (more routes: camera API), or null without one. */
  readonly httpEdge: HttpEdge | null;
  /** Every publisher, in start order (extra ones first). */
  readonly publishers: readonly TrackPublisher[];
  /** The Prometheus metrics served on `/metrics` (more can be registered on its registry), or null without an HTTP edge. */
  readonly metrics: EdgevisMetrics | null;
  /** Status of each camera in the current set (a removed camera leaves it), in the order added. */
  readonly cameras: readonly CameraStatus[];
  /** Config of each camera in the current set. */
  readonly cameraConfigs: readonly CameraConfig[];
  /**
   * Resolves when every camera ended, failed or was stopped (with `keepAlive`: only after
   * `stop()`), with the status of every camera in the set then (removed cameras left it).
   */
  readonly done: Promise<readonly CameraStatus[]>;
  /**
   * Starts a camera beside the running ones.
   * @throws CameraSetError (`exists`) when a camera with its id runs
   */
  addCamera(camera: CameraConfig): CameraStatus;
  /**
   * Stops a camera and takes it out of the set; its open tracks end with reason `camera-removed`.
   * @throws CameraSetError (`unknown`) when no camera with this id is in the set
   */
  removeCamera(id: string): void;
  /**
   * Stops a camera (open tracks end with reason `camera-restarted`) and starts it again, with
   * `camera` as its new config when given; the tracker is kept, so new track ids continue.
   * @throws CameraSetError (`unknown`) when no camera with this id is in the set
   */
  restartCamera(id: string, camera?: CameraConfig): CameraStatus;
  /** Makes the camera set equal to `cameras` (config reload): adds, removes and restarts changed ones; the rest are not touched. */
  applyCameras(cameras: readonly CameraConfig[]): CameraDiff;
  /** Stops all cameras (sources drain with EOS), closes the publishers in reverse order and frees the models. Idempotent. */
  stop(): Promise<void>;
}

/** Options beyond the config file. */
export interface RuntimeOptions {
  readonly logger: Logger;
  /** Extra publishers (replay's event log, tests), started first and closed last. */
  readonly extraPublishers?: readonly TrackPublisher[];
  /** Awaited once the publishers are up, before any camera starts (e.g. to connect subscribers first). */
  readonly beforeCameras?: (endpoints: { websocketUrl: string | null; mqttUrl: string | null }) => Promise<void>;
  /** Called with each camera's items after publishing. */
  readonly onTracks?: (tracks: Tracks, status: CameraStatus) => void;
  /** The tracker of each camera; default: a `MemoryTracker` with `config.tracker`. */
  readonly createTracker?: (camera: CameraConfig) => Tracker;
  /** A service whose cameras are managed while it runs: `done` waits for `stop()` even when no camera runs. */
  readonly keepAlive?: boolean;
  /** This run's epoch (`runEpoch`): sequence numbers and event ids start from it; default 0 (a replay). */
  readonly epoch?: number;
  /** In a fleet: the HTTP origin of the node that runs a camera this node does not (its media is there), or null. */
  readonly mediaOrigin?: (cameraId: string) => string | null;
  /** In a fleet: the cameras other nodes run, for the viewer's camera list. */
  readonly remoteCameras?: () => readonly RemoteCamera[];
  /** A camera's own epoch when it has one (in a fleet: its lease's), else `epoch` is used. */
  readonly epochOf?: (cameraId: string) => number | undefined;
}

/**
 * Starts edgevis in named steps (as Frigate's `FrigateApp.start()`):
 * 1. {@link Runtime.startPublishers}: MQTT, WebSocket and the extra publishers, so no message of the
 *    first frame is lost;
 * 2. {@link Runtime.serveRoutes}: metrics, health, the viewer and the media files on the HTTP port;
 * 3. {@link Runtime.letCallerConnect}: the caller's `beforeCameras` (subscribers connect first);
 * 4. {@link Runtime.startCameras}: each camera's run; models are loaded lazily and shared through
 *    one registry ({@link ModelRegistry}). A camera whose source or model fails reports its error
 *    and stops; the others keep running. Cameras can be added, removed and restarted later.
 * @throws Error when a server cannot listen or an external broker is unreachable (nothing is left running then)
 */
export async function startEdgevis(config: EdgevisConfig, options: RuntimeOptions): Promise<EdgevisRuntime> {
  const runtime = await Runtime.startPublishers(config, options);
  runtime.serveRoutes();
  await runtime.letCallerConnect();
  runtime.startCameras();
  return runtime.api();
}

/** The running edgevis behind {@link EdgevisRuntime}: its publishers, models, recorders and camera set. */
class Runtime {
  private readonly log: Logger;
  private readonly current = new Map<string, CameraRun>();
  /** Ids subscribers may ask for: configured cameras (before they start) and cameras added since. */
  private readonly knownCameras: Set<string>;
  private readonly previews: PreviewHub | null;
  private readonly models: ModelRegistry;
  private readonly recorders = new Map<string, CameraRecorder>();
  private readonly recorderKeys = new Map<string, string>();
  private readonly recordingsDir: string;
  private readonly metrics: EdgevisMetrics | null;
  private readonly frameRates = new Map<string, number | undefined>();
  private readonly settled = new Set<CameraRun>();
  private readonly connectionSlots: ConnectionSlots;
  private readonly defaultTracker: (camera: CameraConfig) => Tracker;
  private stopping: Promise<void> | null = null;
  private resolveDone!: (statuses: readonly CameraStatus[]) => void;
  private readonly done = new Promise<readonly CameraStatus[]>((r) => {
    this.resolveDone = r;
  });

  /** Step 1: the publishers; the runtime around them. */
  static async startPublishers(config: EdgevisConfig, options: RuntimeOptions): Promise<Runtime> {
    const nodeId = nodeIdOf(config, hostname());
    const publishers = await startPublishers(config.publish, options.extraPublishers, options.logger, nodeId);
    return new Runtime(config, options, publishers, nodeId);
  }

  private constructor(
    private readonly config: EdgevisConfig,
    private readonly options: RuntimeOptions,
    private readonly publishers: Awaited<ReturnType<typeof startPublishers>>,
    private readonly nodeId: string,
  ) {
    this.log = options.logger;
    this.previews = publishers.websocket ? new PreviewHub(this.log) : null;
    this.models = new ModelRegistry(config, this.log);
    this.recordingsDir = config.recordingsDir ?? join(stateDirOf(config.stateDir) ?? process.cwd(), 'recordings');
    this.knownCameras = new Set(config.cameras.map((c) => c.id));
    this.connectionSlots = new ConnectionSlots(config.maxConcurrentConnects);
    this.defaultTracker =
      options.createTracker ?? ((camera: CameraConfig) => new MemoryTracker(camera.id, config.tracker));
    const previews = this.previews;
    this.metrics = publishers.httpEdge
      ? new EdgevisMetrics(
          () => this.cameraStatuses(),
          publishers.all,
          previews ? () => previews.stats : undefined,
          () => this.models.workerRestarts,
          () => this.modelInfo(),
          () => this.recordingInfo(),
        )
      : null;
    // What `auto` plans for: the cameras in the set that still run, with their frame rates.
    this.models.demandSource = () =>
      [...this.current.values()]
        .filter((r) => !['ended', 'failed', 'stopped'].includes(r.status.state))
        .map((r) => cameraDemand(r.camera, r.status));
    // A new choice is each camera's news: its state message carries the model.
    this.models.onAutoChoice = () => {
      for (const r of this.current.values())
        if (this.models.modelOf(r.camera)?.reason.startsWith('auto')) r.publishStatus();
    };
  }

  /** Step 2: one HTTP port for WebSocket, metrics, health, the viewer and the media (the camera API is added by its owner). */
  serveRoutes(): void {
    const { httpEdge, websocket } = this.publishers;
    if (!httpEdge) return;
    if (this.metrics) {
      httpEdge.route(this.metrics.route());
      httpEdge.route(healthRoutes(() => this.cameraStatuses(), this.publishers.all));
    }
    // Subscribers may ask for a configured camera before it starts, never for an unknown one.
    if (websocket) websocket.cameraExists = (id) => this.knownCameras.has(id);
    if (websocket && this.previews) {
      websocket.previews = this.previews;
      httpEdge.route(
        viewerRoutes(
          () => this.cameraStatuses(),
          () => this.cameraConfigs(),
          this.options.remoteCameras,
        ),
      );
    }
    httpEdge.route(
      mediaRoutes(
        this.recordingsDir,
        (id) => this.knownCameras.has(id),
        (id) => this.options.mediaOrigin?.(id) ?? null,
      ),
    );
  }

  /** Step 3: the caller connects (subscribers first); if it fails, nothing is left running. */
  async letCallerConnect(): Promise<void> {
    if (!this.options.beforeCameras) return;
    try {
      await this.options.beforeCameras({
        websocketUrl: this.publishers.websocketUrl,
        mqttUrl: this.publishers.mqttUrl,
      });
    } catch (err) {
      await this.closePublishers();
      throw err;
    }
  }

  /** Step 4: each configured camera's run. */
  startCameras(): void {
    for (const camera of this.config.cameras) this.launch(camera);
  }

  /** The {@link EdgevisRuntime} the caller holds. */
  api(): EdgevisRuntime {
    const { publishers } = this;
    const self = this;
    return {
      websocketUrl: publishers.websocketUrl,
      mqttUrl: publishers.mqttUrl,
      embeddedBroker: publishers.embeddedBroker,
      httpEdge: publishers.httpEdge,
      publishers: publishers.all,
      metrics: this.metrics,
      get cameras() {
        return self.cameraStatuses();
      },
      get cameraConfigs() {
        return self.cameraConfigs();
      },
      done: this.done,
      addCamera: (camera) => this.addCamera(camera),
      removeCamera: (id) => this.removeCamera(id),
      restartCamera: (id, camera) => this.restartCamera(id, camera),
      applyCameras: (cameras) => this.applyCameras(cameras),
      stop: () => this.stop(),
    };
  }

  private cameraStatuses(): CameraStatus[] {
    return [...this.current.values()].map((r) => r.status);
  }
  private cameraConfigs(): CameraConfig[] {
    return [...this.current.values()].map((r) => r.camera);
  }
  private modelInfo() {
    return [...this.current.values()].flatMap((r) => {
      const m = this.models.modelOf(r.camera);
      return m ? [{ camera: r.camera.id, ...m }] : [];
    });
  }
  private recordingInfo() {
    return [...this.recorders.values()]
      .filter((r) => r.settings.enabled)
      .map((r) => ({ camera: r.cameraId, up: r.state.state === 'recording', counters: r.counters }));
  }

  private closePublishers(): Promise<void> {
    return closePublishers(this.publishers.all, (err, p) =>
      this.log.warn({ err: err.message, publisher: p.name }, 'error while closing a publisher'),
    );
  }

  private checkDone(): void {
    if ((this.options.keepAlive && !this.stopping) || [...this.current.values()].some((r) => !this.settled.has(r)))
      return;
    this.resolveDone(this.cameraStatuses());
  }

  private onTracks(camera: CameraConfig, tracks: Tracks, status: CameraStatus): void {
    this.metrics?.observe(tracks);
    if (tracks.kind === 'frame') this.models.observeInference(camera, tracks.inferenceMs);
    // A camera's frame rate is known from its first frame: plan for it instead of the assumed one.
    // (A measured rate moves a little with every frame: only a change of more than 10 % counts.)
    const planned = this.frameRates.get(status.id),
      rate = status.source.frameRate;
    if (
      tracks.kind === 'frame' &&
      rate !== undefined &&
      (planned === undefined || Math.abs(rate - planned) > 0.1 * planned)
    ) {
      this.frameRates.set(status.id, rate);
      void this.models.replan();
    }
    this.options.onTracks?.(tracks, status);
  }

  /**
   * The camera's recorder when it records, makes clips or writes snapshots (kept across restarts of
   * the camera while those settings stay): it writes the segments and holds the camera's folder to
   * `record.maxBytes` and `record.maxAgeHours` whichever of them fill it.
   */
  private recorderOf(camera: CameraConfig): CameraRecorder | undefined {
    const key = JSON.stringify([camera.record, camera.clips, camera.snapshots.enabled]);
    const had = this.recorders.get(camera.id);
    if (had && this.recorderKeys.get(camera.id) === key) return had;
    had?.close();
    this.recorders.delete(camera.id);
    // Clips without a recording keep a pre-roll buffer of short segments instead.
    const settings = camera.record.enabled
      ? camera.record
      : camera.clips.enabled
        ? {
            ...camera.record,
            enabled: true,
            segmentSeconds: 2,
            keepSeconds: camera.clips.preRollSeconds + camera.clips.postRollSeconds + 30,
          }
        : camera.snapshots.enabled
          ? camera.record // recording off: retention only
          : null;
    if (!settings) return undefined;
    const recorder = new CameraRecorder(camera.id, join(this.recordingsDir, camera.id), settings, this.log);
    this.recorders.set(camera.id, recorder);
    this.recorderKeys.set(camera.id, key);
    return recorder;
  }

  private launch(camera: CameraConfig, tracker?: Tracker | null, sequence?: MessageSequence): CameraRun {
    const { models, previews, recordingsDir } = this;
    const run = new CameraRun(camera, {
      recorder: this.recorderOf(camera),
      snapshotsDir: join(recordingsDir, camera.id, 'snapshots'),
      clipsDir: join(recordingsDir, camera.id, 'clips'),
      models,
      publishers: this.publishers.all,
      withMasks: this.config.publish.masks,
      createTracker: tracker ? () => tracker : this.defaultTracker,
      logger: this.log,
      onTracks: (tracks, status) => this.onTracks(camera, tracks, status),
      sequence,
      nodeId: this.nodeId,
      onSegmented: previews ? (d) => previews.offer(d) : undefined,
      epoch: this.options.epochOf?.(camera.id) ?? this.options.epoch ?? 0,
      connectionSlots: this.connectionSlots,
    });
    this.current.set(camera.id, run);
    void run.done.then(() => {
      this.settled.add(run);
      this.checkDone();
      void models.replan();
    });
    return run;
  }

  private runOf(id: string): CameraRun {
    const run = this.current.get(id);
    if (!run) throw new CameraSetError('unknown', id);
    return run;
  }

  private addCamera(camera: CameraConfig): CameraStatus {
    if (this.current.has(camera.id)) throw new CameraSetError('exists', camera.id);
    this.log.info({ camera: camera.id }, `camera '${camera.id}' added`);
    this.knownCameras.add(camera.id);
    const status = this.launch(camera).status;
    void this.models.replan();
    return status;
  }

  private removeCamera(id: string): void {
    const run = this.runOf(id);
    this.current.delete(id);
    this.knownCameras.delete(id);
    run.stop('camera-removed');
    this.settled.delete(run);
    this.recorders.get(id)?.close();
    this.recorders.delete(id);
    for (const p of this.publishers.all) p.forgetCamera?.(id); // e.g. its retained MQTT status is cleared
    this.frameRates.delete(id);
    this.log.info({ camera: id }, `camera '${id}' removed`);
    void this.models.replan();
    this.checkDone();
  }

  private restartCamera(id: string, camera?: CameraConfig): CameraStatus {
    const run = this.runOf(id);
    const tracker = run.stop('camera-restarted');
    this.settled.delete(run);
    this.log.info({ camera: id }, `camera '${id}' restarting${camera ? ' with a new config' : ''}`);
    return this.launch(camera ?? run.camera, tracker, run.sequence).status;
  }

  private applyCameras(cameras: readonly CameraConfig[]): CameraDiff {
    const diff = diffCameras(
      [...this.current.values()].map((r) => r.camera),
      cameras,
    );
    for (const id of diff.removed) this.removeCamera(id);
    for (const camera of diff.changed) this.restartCamera(camera.id, camera);
    for (const camera of diff.added) this.addCamera(camera);
    return diff;
  }

  /** Stops the cameras, writes the last snapshots and clips (at most 3 s), closes the publishers, frees the models. Idempotent. */
  private stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const run of this.current.values()) run.stop();
      for (const r of this.recorders.values()) r.close();
      // The snapshots of the tracks the stop ended go out before the publishers close.
      await Promise.race([
        Promise.all([...this.current.values()].map((r) => r.flushSnapshots())),
        new Promise((r) => setTimeout(r, 3000).unref()),
      ]);
      await this.closePublishers();
      await this.previews?.close();
      await this.models.dispose();
      this.checkDone();
    })();
    return this.stopping;
  }
}
