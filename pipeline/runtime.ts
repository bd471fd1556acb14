import { basename, isAbsolute } from 'node:path';
import type { Subscription } from 'rxjs';
import { projectRoot } from '../config/load.js';
import { modelNotFoundMessage, resolveModelFile } from '../config/model-path.js';
import type { CameraConfig, EdgevisConfig } from '../config/schema.js';
import type { Embedder } from '../models/embedder.js';
import { HistogramEmbedder } from '../models/histogram-embedder.js';
import { OsnetEmbedder } from '../models/osnet-embedder.js';
import { ModelLoadError } from '../models/onnx-session.js';
import type { Segmenter } from '../models/segmenter.js';
import { MemoryTracker } from '../models/tracking/memory-tracker.js';
import type { Tracks } from '../models/tracks.js';
import type { TrackPublisher } from '../operators/publish-tracks.js';
import type { SamplingStats } from '../operators/sample-frames.js';
import type { SourceProgress } from '../operators/source-kind.js';
import { YoloSegmenter } from '../models/yolo-segmenter.js';
import { cameraGraph, sourceSpecOf } from './camera-graph.js';
import type { Logger } from './logger.js';
import { EmbeddedMqttBroker } from './mqtt-broker.js';
import { MqttTrackPublisher } from './mqtt-publisher.js';
import { TrackWebSocketServer } from './websocket-server.js';

/** Live state of one camera, for the status line and the final report. */
export interface CameraStatus {
  readonly id: string;
  state: 'starting' | 'running' | 'ended' | 'failed' | 'stopped';
  error?: string;
  readonly sampling: SamplingStats;
  /** What the source knows about its length (progress bars). */
  readonly source: SourceProgress;
  framesProcessed: number;
  activeTracks: number;
  /** Distinct track ids confirmed so far. */
  tracksStarted: number;
  /** Sum of detections over processed frames. */
  detections: number;
  lastFrameIndex: number;
  /** Wall-clock ms of the first and latest processed frame (metrics only). */
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

/** A running edgevis: endpoints, per-camera status, and a way to stop. */
export interface EdgevisRuntime {
  readonly websocketUrl: string | null;
  readonly mqttUrl: string | null;
  readonly embeddedBroker: boolean;
  readonly cameras: readonly CameraStatus[];
  /** Resolves when every camera ended, failed or was stopped. */
  readonly done: Promise<readonly CameraStatus[]>;
  /** Stops all cameras (sources drain with EOS) and closes servers. Idempotent. */
  stop(): Promise<void>;
}

/** Options beyond the config file. */
export interface RuntimeOptions {
  readonly logger: Logger;
  /** Explicit model path (CLI --model), overriding config. */
  readonly modelPath?: string;
  /** Extra publishers (event log, tests). */
  readonly extraPublishers?: readonly TrackPublisher[];
  /** Awaited once the servers are up, before any camera starts (e.g. to connect subscribers first). */
  readonly beforeCameras?: (endpoints: { websocketUrl: string | null; mqttUrl: string | null }) => Promise<void>;
  /** Called with each camera's tracks after publishing. */
  readonly onTracks?: (tracks: Tracks) => void;
}

/**
 * Starts edgevis: publishers first (so no message is lost), then one graph per camera. A camera
 * whose source or model fails reports its error and stops; the other cameras keep running.
 * @throws Error when a server cannot listen or an external broker is unreachable (nothing is started then)
 */
export async function startEdgevis(config: EdgevisConfig, options: RuntimeOptions): Promise<EdgevisRuntime> {
  const log = options.logger;
  const closers: (() => Promise<void>)[] = [];
  const publishers: TrackPublisher[] = [...(options.extraPublishers ?? [])];
  let websocketUrl: string | null = null, mqttUrl: string | null = null, embeddedBroker = false;
  try {
    if (config.publish.websocket.enabled) {
      const ws = await TrackWebSocketServer.start(config.publish.websocket.host, config.publish.websocket.port, config.publish.websocket.maxBufferedBytes);
      publishers.push(ws); closers.push(() => ws.close());
      websocketUrl = ws.url;
    }
    if (config.publish.mqtt.enabled) {
      let url = config.publish.mqtt.url;
      if (!url) {
        const broker = await EmbeddedMqttBroker.start(config.publish.mqtt.brokerHost, config.publish.mqtt.brokerPort);
        closers.push(() => broker.close());
        url = broker.url;
        embeddedBroker = true;
      }
      const mqttPublisher = await MqttTrackPublisher.connect(url, config.publish.mqtt.topicPrefix, config.publish.mqtt.eventQos);
      publishers.push(mqttPublisher); closers.unshift(() => mqttPublisher.close());
      mqttUrl = url;
    }
  } catch (err) {
    await closeAll(closers);
    throw err;
  }

  if (options.beforeCameras) {
    try {
      await options.beforeCameras({ websocketUrl, mqttUrl });
    } catch (err) {
      await closeAll(closers);
      throw err;
    }
  }

  const segmenters = new Map<string, Promise<Segmenter>>();
  const loadSegmenter = (camera: CameraConfig): Promise<Segmenter> => {
    const file = camera.model ?? config.model.file;
    const explicit = camera.model ? (isAbsolute(camera.model) ? camera.model : undefined) : (options.modelPath ?? config.model.path);
    const lookup = resolveModelFile({ path: explicit, dir: config.model.dir }, file, projectRoot());
    if (!lookup.found) return Promise.reject(new ModelLoadError(`camera '${camera.id}': ${modelNotFoundMessage(basename(file), lookup)}`));
    const path = lookup.found;
    if (!segmenters.has(path)) {
      segmenters.set(path, YoloSegmenter.load(path, config.model).then(({ segmenter, fallbacks }) => {
        for (const f of fallbacks) log.info({ provider: f.provider, reason: f.reason }, `execution provider ${f.provider} unavailable, falling back`);
        log.info({ model: path, executionProvider: segmenter.executionProvider, input: `${segmenter.inputWidth}x${segmenter.inputHeight}`, classes: segmenter.classNames.length },
          `segmenter ready on ${segmenter.executionProvider.toUpperCase()} execution provider`);
        return segmenter;
      }));
    }
    return segmenters.get(path)!;
  };
  let embedderPromise: Promise<Embedder | null> | null = null;
  const getEmbedder = () => (embedderPromise ??= loadEmbedder(config, log));

  const statuses: CameraStatus[] = [];
  const subscriptions: Subscription[] = [];
  const finished: Promise<void>[] = [];
  const settleOnStop: (() => void)[] = [];
  let stopping = false;

  for (const camera of config.cameras) {
    const status: CameraStatus = {
      id: camera.id, state: 'starting', sampling: { received: 0, dropped: 0 }, source: { expectedFrames: null }, framesProcessed: 0, activeTracks: 0,
      tracksStarted: 0, detections: 0, lastFrameIndex: -1, firstFrameAt: 0, lastFrameAt: 0,
    };
    statuses.push(status);
    const spec = sourceSpecOf(camera);
    const clog = log.child({ camera: camera.id });
    finished.push(new Promise<void>((resolve) => {
      settleOnStop.push(resolve);
      const fail = (err: Error) => {
        status.state = 'failed';
        status.error = err.message;
        clog.error({ err: err.message }, `camera '${camera.id}' stopped: ${err.message}`);
        resolve();
      };
      Promise.all([loadSegmenter(camera), getEmbedder()]).then(([segmenter, embedder]) => {
        if (stopping) { status.state = 'stopped'; resolve(); return; }
        status.state = 'running';
        clog.info({ source: spec.source, kind: spec.kind, realtime: spec.realtime }, `camera '${camera.id}' reading ${spec.kind} ${spec.source}`);
        const tracker = new MemoryTracker(camera.id, config.tracker);
        const graph = cameraGraph(camera, {
          segmenter, embedder, tracker, publishers, withMasks: config.publish.masks,
          onReconnect: (attempt, err) => clog.warn({ attempt, err: err.message }, `camera '${camera.id}' source failed, reconnecting in ${camera.reconnectDelayMs} ms`),
        }, status.sampling, status.source);
        subscriptions.push(graph.subscribe({
          next: (tracks) => {
            if (!tracks.endOfStream) {
              const now = performance.now();
              if (status.framesProcessed === 0) status.firstFrameAt = now;
              status.lastFrameAt = now;
              status.framesProcessed++;
              status.lastFrameIndex = tracks.frameIndex;
              status.detections += tracks.detectionCount;
              status.activeTracks = tracks.active.length;
            }
            status.tracksStarted += tracks.started.length;
            options.onTracks?.(tracks);
          },
          error: fail,
          complete: () => {
            status.state = stopping ? 'stopped' : 'ended';
            clog.info({ frames: status.framesProcessed, tracks: status.tracksStarted }, `camera '${camera.id}' reached end of stream`);
            resolve();
          },
        }));
      }, fail);
    }));
  }

  const done = Promise.all(finished).then(() => statuses);
  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      stopping = true;
      for (const s of statuses) if (s.state === 'running' || s.state === 'starting') s.state = 'stopped';
      for (const sub of subscriptions) sub.unsubscribe();
      for (const settle of settleOnStop) settle(); // unsubscribed graphs never complete on their own
      await closeAll(closers, (err) => log.warn({ err: err.message }, 'error while closing'));
      for (const s of segmenters.values()) await s.then((seg) => seg.dispose(), () => undefined);
      await embedderPromise?.then((e) => e?.dispose(), () => undefined);
    })();
    return stopped;
  };
  return { websocketUrl, mqttUrl, embeddedBroker, cameras: statuses, done, stop };
}

/**
 * The appearance embedder the config asks for (see `embedder.kind`); 'auto' takes OSNet when its
 * file is found and the colour histogram otherwise, and logs which one is active.
 * @throws ModelLoadError when 'osnet' is asked for and its model is missing or not loadable
 */
async function loadEmbedder(config: EdgevisConfig, log: Logger): Promise<Embedder | null> {
  const { kind } = config.embedder;
  if (kind === 'none') { log.info('appearance embedder: none (motion and overlap only)'); return null; }
  if (kind === 'histogram') { log.info('appearance embedder: colour histograms'); return new HistogramEmbedder(); }
  const lookup = resolveModelFile({ path: config.embedder.path, dir: config.model.dir }, config.embedder.file, projectRoot());
  if (!lookup.found) {
    if (kind === 'osnet') throw new ModelLoadError(`re-identification ${modelNotFoundMessage(config.embedder.file, lookup)}`);
    log.info({ looked: lookup.candidates }, `appearance embedder: colour histograms (${config.embedder.file} not found; set embedder.path for re-identification)`);
    return new HistogramEmbedder();
  }
  const { embedder, fallbacks } = await OsnetEmbedder.load(lookup.found, config.model.executionProviders, config.model.intraOpThreads);
  for (const f of fallbacks) log.info({ provider: f.provider, reason: f.reason }, `embedder: execution provider ${f.provider} unavailable, falling back`);
  log.info({ model: lookup.found, executionProvider: embedder.executionProvider, dim: embedder.dim }, `appearance embedder: OSNet re-identification on ${embedder.executionProvider.toUpperCase()}`);
  return embedder;
}

/** Runs every closer in order; a failing one is reported to `onError` and does not stop the rest. */
async function closeAll(closers: readonly (() => Promise<void>)[], onError: (err: Error) => void = () => undefined): Promise<void> {
  for (const close of closers) await close().catch((err: Error) => onError(err));
}
