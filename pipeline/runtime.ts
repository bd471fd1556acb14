import type { CameraConfig, EdgevisConfig } from '../config/schema.js';
import { MemoryTracker } from '../models/tracking/memory-tracker.js';
import type { Tracker } from '../models/tracker.js';
import type { Tracks } from '../models/tracks.js';
import type { TrackPublisher } from '../operators/publish-tracks.js';
import { CameraRun, type CameraStatus } from './camera-run.js';
import type { Logger } from './logger.js';
import { ModelRegistry } from './model-registry.js';
import { closePublishers, startPublishers } from './publishers/start-publishers.js';

/** A running edgevis: endpoints, per-camera status, and a way to stop. */
export interface EdgevisRuntime {
  readonly websocketUrl: string | null;
  readonly mqttUrl: string | null;
  readonly embeddedBroker: boolean;
  /** Every publisher, in start order (extra ones first). */
  readonly publishers: readonly TrackPublisher[];
  readonly cameras: readonly CameraStatus[];
  /** Resolves when every camera ended, failed or was stopped. */
  readonly done: Promise<readonly CameraStatus[]>;
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
}

/**
 * Starts edgevis in named steps (as Frigate's `FrigateApp.start()`):
 * 1. start publishers (so no message of the first frame is lost);
 * 2. let the caller connect (`beforeCameras`);
 * 3. load models, lazily and shared, through one registry;
 * 4. start each camera's run. A camera whose source or model fails reports its error and
 *    stops; the other cameras keep running.
 * @throws Error when a server cannot listen or an external broker is unreachable (nothing is left running then)
 */
export async function startEdgevis(config: EdgevisConfig, options: RuntimeOptions): Promise<EdgevisRuntime> {
  const log = options.logger;
  const publishers = await startPublishers(config.publish, options.extraPublishers);
  const closeAll = () => closePublishers(publishers.all, (err, p) => log.warn({ err: err.message, publisher: p.name }, 'error while closing a publisher'));
  if (options.beforeCameras) {
    try {
      await options.beforeCameras({ websocketUrl: publishers.websocketUrl, mqttUrl: publishers.mqttUrl });
    } catch (err) {
      await closeAll();
      throw err;
    }
  }
  const models = new ModelRegistry(config, log);
  const createTracker = options.createTracker ?? ((camera: CameraConfig) => new MemoryTracker(camera.id, config.tracker));
  const runs = config.cameras.map((camera) => new CameraRun(camera, {
    models, publishers: publishers.all, withMasks: config.publish.masks, createTracker, logger: log, onTracks: options.onTracks,
  }));

  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= (async () => {
      for (const run of runs) run.stop();
      await closeAll();
      await models.dispose();
    })();
    return stopped;
  };
  return {
    websocketUrl: publishers.websocketUrl, mqttUrl: publishers.mqttUrl, embeddedBroker: publishers.embeddedBroker, publishers: publishers.all,
    cameras: runs.map((r) => r.status), done: Promise.all(runs.map((r) => r.done)), stop,
  };
}
