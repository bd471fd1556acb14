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
import { type CameraStatus } from './camera/camera-status.js';
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
import { viewerRoutes } from './http/viewer/viewer-routes.js';

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
  constructor(readonly code: 'exists' | 'unknown', readonly cameraId: string) {
    super(code === 'exists' ? `camera '${cameraId}' already runs; remove it first or restart it` : `no camera '${cameraId}' runs`);
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
}

/**
 * Starts edgevis in named steps (as Frigate's `FrigateApp.start()`):
 * 1. start publishers (so no message of the first frame is lost);
 * 2. let the caller connect (`beforeCameras`);
 * 3. load models, lazily and shared, through one registry;
 * 4. start each camera's run. A camera whose source or model fails reports its error and
 *    stops; the other cameras keep running. Cameras can be added, removed and restarted later.
 * @throws Error when a server cannot listen or an external broker is unreachable (nothing is left running then)
 */
export async function startEdgevis(config: EdgevisConfig, options: RuntimeOptions): Promise<EdgevisRuntime> {
  const log = options.logger;
  const nodeId = nodeIdOf(config, hostname());
  const publishers = await startPublishers(config.publish, options.extraPublishers, log, nodeId);
  const closeAll = () => closePublishers(publishers.all, (err, p) => log.warn({ err: err.message, publisher: p.name }, 'error while closing a publisher'));
  const current = new Map<string, CameraRun>();
  const cameraStatuses = () => [...current.values()].map((r) => r.status);
  const cameraConfigs = () => [...current.values()].map((r) => r.camera);
  // One HTTP port: WebSocket, metrics, health (and the camera API and viewer, added by their owners).
  const previews = publishers.websocket ? new PreviewHub(log) : null;
  const models = new ModelRegistry(config, log);
  const recorders = new Map<string, CameraRecorder>();
  const recorderKeys = new Map<string, string>();
  const recordingsDir = config.recordingsDir ?? join(stateDirOf(config.stateDir) ?? process.cwd(), 'recordings');
  const modelInfo = () => [...current.values()].flatMap((r) => { const m = models.modelOf(r.camera); return m ? [{ camera: r.camera.id, ...m }] : []; });
  const recordingInfo = () => [...recorders.values()].filter((r) => r.settings.enabled).map((r) => ({ camera: r.cameraId, up: r.state.state === 'recording', counters: r.counters }));
  const metrics = publishers.httpEdge ? new EdgevisMetrics(cameraStatuses, publishers.all, previews ? () => previews.stats : undefined, () => models.workerRestarts, modelInfo, recordingInfo) : null;
  // What `auto` plans for: the cameras in the set that still run, with their frame rates.
  models.demandSource = () => [...current.values()].filter((r) => !['ended', 'failed', 'stopped'].includes(r.status.state)).map((r) => cameraDemand(r.camera, r.status));
  // A new choice is each camera's news: its state message carries the model.
  models.onAutoChoice = () => { for (const r of current.values()) if (models.modelOf(r.camera)?.reason.startsWith('auto')) r.publishStatus(); };
  const frameRates = new Map<string, number | undefined>();
  if (publishers.httpEdge && metrics) {
    publishers.httpEdge.route(metrics.route());
    publishers.httpEdge.route(healthRoutes(cameraStatuses, publishers.all));
  }
  // Subscribers may ask for a configured camera before it starts, never for an unknown one.
  const knownCameras = new Set(config.cameras.map((c) => c.id));
  if (publishers.websocket) publishers.websocket.cameraExists = (id) => knownCameras.has(id);
  if (publishers.websocket && previews) {
    publishers.websocket.previews = previews;
    publishers.httpEdge!.route(viewerRoutes(cameraStatuses, cameraConfigs));
  }
  if (publishers.httpEdge) publishers.httpEdge.route(mediaRoutes(recordingsDir, (id) => knownCameras.has(id)));
  if (options.beforeCameras) {
    try {
      await options.beforeCameras({ websocketUrl: publishers.websocketUrl, mqttUrl: publishers.mqttUrl });
    } catch (err) {
      await closeAll();
      throw err;
    }
  }
  const defaultTracker = options.createTracker ?? ((camera: CameraConfig) => new MemoryTracker(camera.id, config.tracker));
  const settled = new Set<CameraRun>();
  const connectionSlots = new ConnectionSlots(config.maxConcurrentConnects);
  let stopping: Promise<void> | null = null;
  let resolveDone!: (statuses: readonly CameraStatus[]) => void;
  const done = new Promise<readonly CameraStatus[]>((r) => { resolveDone = r; });
  const checkDone = () => {
    if ((options.keepAlive && !stopping) || [...current.values()].some((r) => !settled.has(r))) return;
    resolveDone(cameraStatuses());
  };

  const onTracks = (tracks: Tracks, status: CameraStatus) => {
    metrics?.observe(tracks);
    const run = current.get(status.id);
    if (tracks.kind === 'frame' && run) models.observeInference(run.camera, tracks.inferenceMs);
    // A camera's frame rate is known from its first frame: plan for it instead of the assumed one.
    // (A measured rate moves a little with every frame: only a change of more than 10 % counts.)
    const planned = frameRates.get(status.id), rate = status.source.frameRate;
    if (tracks.kind === 'frame' && rate !== undefined && (planned === undefined || Math.abs(rate - planned) > 0.1 * planned)) { frameRates.set(status.id, rate); void models.replan(); }
    options.onTracks?.(tracks, status);
  };

  /**
   * The camera's recorder when it records, makes clips or writes snapshots (kept across restarts of
   * the camera while those settings stay): it writes the segments and holds the camera's folder to
   * `record.maxBytes` and `record.maxAgeHours` whichever of them fill it.
   */
  const recorderOf = (camera: CameraConfig): CameraRecorder | undefined => {
    const key = JSON.stringify([camera.record, camera.clips, camera.snapshots.enabled]);
    const had = recorders.get(camera.id);
    if (had && recorderKeys.get(camera.id) === key) return had;
    had?.close();
    recorders.delete(camera.id);
    // Clips without a recording keep a pre-roll buffer of short segments instead.
    const settings = camera.record.enabled ? camera.record
      : camera.clips.enabled ? { ...camera.record, enabled: true, segmentSeconds: 2, keepSeconds: camera.clips.preRollSeconds + camera.clips.postRollSeconds + 30 }
        : camera.snapshots.enabled ? camera.record // recording off: retention only
          : null;
    if (!settings) return undefined;
    const recorder = new CameraRecorder(camera.id, join(recordingsDir, camera.id), settings, log);
    recorders.set(camera.id, recorder);
    recorderKeys.set(camera.id, key);
    return recorder;
  };
  const launch = (camera: CameraConfig, tracker?: Tracker | null, sequence?: MessageSequence): CameraRun => {
    const run = new CameraRun(camera, {
      recorder: recorderOf(camera), snapshotsDir: join(recordingsDir, camera.id, 'snapshots'), clipsDir: join(recordingsDir, camera.id, 'clips'),
      models, publishers: publishers.all, withMasks: config.publish.masks, createTracker: tracker ? () => tracker : defaultTracker, logger: log, onTracks, sequence, nodeId,
      onSegmented: previews ? (d) => previews.offer(d) : undefined, epoch: options.epoch ?? 0, connectionSlots,
    });
    current.set(camera.id, run);
    void run.done.then(() => { settled.add(run); checkDone(); void models.replan(); });
    return run;
  };
  const runOf = (id: string) => {
    const run = current.get(id);
    if (!run) throw new CameraSetError('unknown', id);
    return run;
  };
  const addCamera = (camera: CameraConfig) => {
    if (current.has(camera.id)) throw new CameraSetError('exists', camera.id);
    log.info({ camera: camera.id }, `camera '${camera.id}' added`);
    knownCameras.add(camera.id);
    const status = launch(camera).status;
    void models.replan();
    return status;
  };
  const removeCamera = (id: string) => {
    const run = runOf(id);
    current.delete(id);
    knownCameras.delete(id);
    run.stop('camera-removed');
    settled.delete(run);
    recorders.get(id)?.close();
    recorders.delete(id);
    for (const p of publishers.all) p.forgetCamera?.(id); // e.g. its retained MQTT status is cleared
    frameRates.delete(id);
    log.info({ camera: id }, `camera '${id}' removed`);
    void models.replan();
    checkDone();
  };
  const restartCamera = (id: string, camera?: CameraConfig) => {
    const run = runOf(id);
    const tracker = run.stop('camera-restarted');
    settled.delete(run);
    log.info({ camera: id }, `camera '${id}' restarting${camera ? ' with a new config' : ''}`);
    return launch(camera ?? run.camera, tracker, run.sequence).status;
  };

  for (const camera of config.cameras) launch(camera);
  const stop = () => {
    stopping ??= (async () => {
      for (const run of current.values()) run.stop();
      for (const r of recorders.values()) r.close();
      // The snapshots of the tracks the stop ended go out before the publishers close.
      await Promise.race([Promise.all([...current.values()].map((r) => r.flushSnapshots())), new Promise((r) => setTimeout(r, 3000).unref())]);
      await closeAll();
      await previews?.close();
      await models.dispose();
      checkDone();
    })();
    return stopping;
  };
  return {
    websocketUrl: publishers.websocketUrl, mqttUrl: publishers.mqttUrl, embeddedBroker: publishers.embeddedBroker, httpEdge: publishers.httpEdge,
    publishers: publishers.all,
    get cameras() { return cameraStatuses(); },
    get cameraConfigs() { return cameraConfigs(); },
    done, addCamera, removeCamera, restartCamera,
    applyCameras(cameras) {
      const diff = diffCameras([...current.values()].map((r) => r.camera), cameras);
      for (const id of diff.removed) removeCamera(id);
      for (const camera of diff.changed) restartCamera(camera.id, camera);
      for (const camera of diff.added) addCamera(camera);
      return diff;
    },
    stop,
  };
}
