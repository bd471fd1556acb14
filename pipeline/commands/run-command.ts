import { dirname, resolve } from 'node:path';
import { ConfigError, configFromCommandLine, type CommandLineConfig } from '../../config/command-line.js';
import type { EdgevisConfig } from '../../config/schema.js';
import type { TrackPublisher } from '../../operators/publish-tracks.js';
import type { CameraStatus } from '../camera/camera-status.js';
import { reloadCamerasOnChange } from '../control/config-reload.js';
import { readSecret } from '../publishers/secrets.js';
import { cameraApi } from '../control/camera-api.js';
import { createLogger } from '../process/logger.js';
import { redactSource } from '../../operators/sources/source-error.js';
import { exitNow, mallocArenas } from '../process/process-control.js';
import { runEpoch, stateDirOf } from '../process/run-epoch.js';
import { startEdgevis } from '../runtime.js';
import { hostname } from 'node:os';
import { nodeIdOf } from '../../config/load.js';
import { FleetEngine } from '../fleet/fleet-engine.js';
import { FleetNode } from '../fleet/fleet-node.js';
import { FleetStreamPublisher } from '../fleet/stream-publisher.js';
import { corruptNote, formatStatusLine } from '../camera/status-line.js';
import { droppedFrames } from '../camera/camera-status.js';

/** Longest clean stop after SIGINT/SIGTERM before the process exits anyway, ms. */
const STOP_TIMEOUT_MS = 10_000;
/**
 * A second stop signal within this long of the first is the same request arriving again, not a
 * person insisting: systemd (KillMode=control-group), `kill -- -PGID` and a terminal's Ctrl-C
 * signal every process of the group, and supervisors often follow SIGTERM with SIGINT. Only a
 * later one forces the exit, ms.
 */
const REPEATED_SIGNAL_MS = 1_500;

/**
 * Exit codes of `edgevis run` (README "Stopping"): 0 clean stop or every camera ended, 1 start-up
 * failed, every camera failed, or the clean stop did not finish within {@link STOP_TIMEOUT_MS},
 * 2 bad config, 130 forced by a second signal.
 */
export const EXIT_CODES = { clean: 0, failed: 1, badConfig: 2, forced: 130 } as const;

/** Flags of `edgevis run`. */
export interface RunFlags extends CommandLineConfig {
  readonly logLevel?: string;
}

/**
 * `edgevis run`: starts the cameras, prints where to subscribe, a live status line, and a final
 * report per camera and publisher. SIGINT / SIGTERM stop cleanly (a repeat within
 * {@link REPEATED_SIGNAL_MS} is the same request); a later one forces the exit ({@link EXIT_CODES}).
 * @returns exit code: 0 after a clean stop, 1 when start-up failed or every camera failed, 2 for a bad config
 */
export async function runCommand(flags: RunFlags): Promise<number> {
  const log = createLogger(flags.logLevel);
  let config: EdgevisConfig;
  try {
    config = await configFromCommandLine(flags);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`edgevis: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let apiToken: string | null;
  try {
    apiToken = readApiToken(config);
  } catch (err) {
    process.stderr.write(`edgevis: ${(err as Error).message}\n`);
    return 2;
  }
  // What the process was started with (see start-settings.ts: the CLI sets these for itself when they are missing).
  log.debug(
    {
      pid: process.pid,
      uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? null,
      mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
      nodeFlags: process.execArgv,
      notApplied: process.env.EDGEVIS_START_SETTINGS_NOTE ?? null,
    },
    'process settings',
  );
  // The run's epoch: sequence numbers and event ids continue above every earlier run's.
  const { epoch, warning: epochWarning } = runEpoch(stateDirOf(config.stateDir));
  if (epochWarning) log.warn(epochWarning);
  log.debug({ epoch }, 'run epoch');
  const baseDir = flags.config ? dirname(resolve(flags.config)) : process.cwd();
  let runtime: Awaited<ReturnType<typeof startEdgevis>>;
  let engine: FleetEngine | null = null;
  let fleetNode: FleetNode | null = null;
  try {
    // In a fleet the engine holds the site's cameras: join it first; this node's cameras are the leases it wins.
    const stream = config.fleet
      ? new FleetStreamPublisher(
          (engine = await FleetEngine.connect(config.fleet, nodeIdOf(config, hostname()), log)),
          config.fleet.bufferMessages,
        )
      : null;
    // With the camera API on, or in a fleet, edgevis is a service whose cameras come and go: it runs until stopped.
    runtime = await startEdgevis(stream ? { ...config, cameras: [] } : config, {
      logger: log,
      keepAlive: apiToken !== null || stream !== null,
      epoch,
      extraPublishers: stream ? [stream] : [],
      epochOf: (id) => fleetNode?.epochOf(id),
      remoteCameras: () => fleetNode?.remoteCameras() ?? [],
      mediaOrigin: (id) => fleetNode?.mediaOrigin(id) ?? null,
    });
    if (engine && stream && config.fleet)
      fleetNode = await FleetNode.start(
        engine,
        runtime,
        stream,
        { ...config, fleet: config.fleet },
        nodeIdOf(config, hostname()),
        baseDir,
        log,
      );
  } catch (err) {
    process.stderr.write(`edgevis: ${(err as Error).message}\n`);
    await engine?.close();
    await flushLog(log);
    return EXIT_CODES.failed;
  }
  const out = process.stdout;
  const prefix = config.publish.mqtt.topicPrefix;
  out.write('edgevis is running. Subscribe to instance tracks:\n');
  if (runtime.websocketUrl) {
    const http = runtime.websocketUrl.replace(/^ws/, 'http');
    out.write(`  WebSocket: ${runtime.websocketUrl}  (one camera: ${runtime.websocketUrl}cameras/<id>)\n`);
    out.write(`  viewer:    ${http}  (metrics: ${http}metrics, health: ${http}healthz, ${http}readyz)\n`);
  }
  if (runtime.mqttUrl) {
    const u = new URL(runtime.mqttUrl);
    out.write(
      `  MQTT:      ${runtime.mqttUrl}${runtime.embeddedBroker ? ' (embedded broker)' : ''}  topics ${prefix}/<camera>/tracks, ${prefix}/<camera>/events\n`,
    );
    out.write(`             e.g. mosquitto_sub -h ${u.hostname} -p ${u.port} -t '${prefix}/#' -v\n`);
  }
  if (config.fleet)
    out.write(
      `  fleet:     '${config.fleet.name}' on ${config.fleet.servers.join(', ')} as node '${nodeIdOf(config, hostname())}' (cameras from the fleet's list)\n`,
    );
  else out.write(`  cameras:   ${config.cameras.map((c) => `${c.id}=${redactSource(c.source)}`).join(', ')}\n`);
  if (apiToken !== null && runtime.httpEdge) {
    runtime.httpEdge.route(
      cameraApi(fleetNode ? fleetNode.cameraSet() : runtime, apiToken, baseDir, log, config.api.allowedSources),
    );
    out.write(`  camera API: http://${runtime.httpEdge.authority}/api/cameras  (Authorization: Bearer <token>)\n`);
  } else if (apiToken !== null) {
    log.warn('the camera API needs the WebSocket server (publish.websocket.enabled); it is off');
  }
  // In a fleet the camera list lives in the engine (change it through any node's camera API).
  const stopWatching =
    flags.config && !fleetNode
      ? reloadCamerasOnChange(flags.config, config, () => configFromCommandLine(flags), runtime, log)
      : () => undefined;
  if (flags.config && !fleetNode)
    out.write(`  reload:    edit ${flags.config} or send SIGHUP (kill -HUP ${process.pid}) to apply camera changes\n`);
  const tty = out.isTTY;
  const timer = setInterval(() => {
    const line = formatStatusLine(runtime.cameras);
    out.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }, config.statusIntervalMs);
  let firstSignalAt: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = performance.now();
    if (firstSignalAt !== null) {
      if (now - firstSignalAt < REPEATED_SIGNAL_MS) {
        log.debug(
          { signal },
          'stop signal repeated at once (the whole process group was signalled); still stopping cleanly',
        );
        return;
      }
      out.write(`\n${signal} again: forced stop (exit ${EXIT_CODES.forced})\n`);
      exitNow(EXIT_CODES.forced);
    }
    firstSignalAt = now;
    out.write(
      `\n${signal}: stopping (${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again after a second to force)...\n`,
    );
    // A clean stop is bounded: whatever hangs (a broker that does not answer), the process exits.
    setTimeout(() => {
      log.error(`stop did not finish within ${STOP_TIMEOUT_MS} ms; exiting`);
      exitNow(EXIT_CODES.failed);
    }, STOP_TIMEOUT_MS).unref();
    // A fleet node hands its cameras over first, so the others take them at once.
    void (fleetNode ? fleetNode.leave() : Promise.resolve()).finally(() => runtime.stop());
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const cameras = await runtime.done;
  stopWatching();
  clearInterval(timer);
  await fleetNode?.leave();
  await runtime.stop();
  await engine?.close();
  out.write(`${tty ? '\r\x1b[2K' : ''}${formatStatusLine(cameras)}\n${finalReport(cameras, runtime.publishers)}`);
  log.debug({ mallocArenas: mallocArenas() }, 'process at stop');
  await flushLog(log);
  // (A service left with no camera — a fleet node that handed its cameras over — stopped cleanly.)
  return cameras.length > 0 && cameras.every((c) => c.state === 'failed') ? EXIT_CODES.failed : EXIT_CODES.clean;
}

/** Waits until the log's lines are written (a terminal's pretty-printer runs in a thread of its own), at most 1 s. */
function flushLog(log: ReturnType<typeof createLogger>): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    try {
      log.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/**
 * The camera API's bearer token: `EDGEVIS_API_TOKEN`, else the first line of `api.tokenFile`; null
 * when neither is set (the API is off).
 * @throws Error naming the file when api.tokenFile cannot be read or is empty
 */
export function readApiToken(config: EdgevisConfig, env = process.env): string | null {
  return readSecret('EDGEVIS_API_TOKEN', config.api.tokenFile, 'api.tokenFile', env);
}

/** One line per camera (state, frames, instances per frame, tracks, drops, error) and one per publisher with its counters. */
export function finalReport(cameras: readonly CameraStatus[], publishers: readonly TrackPublisher[]): string {
  const lines = cameras.map((c) => {
    const perFrame = c.framesProcessed ? (c.detections / c.framesProcessed).toFixed(2) : '0';
    return `[${c.id}] ${c.state}: ${c.framesProcessed} frames, ${perFrame} instances/frame, ${c.tracksStarted} tracks, ${droppedFrames(c)} dropped${corruptNote(c)}, ${c.reconnects} reconnects${c.error ? `\n  error: ${c.error}` : ''}${c.lastWarning ? `\n  warning: ${c.lastWarning}` : ''}`;
  });
  for (const p of publishers)
    lines.push(
      `${p.name}: ${Object.entries(p.counters)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
    );
  return `${lines.join('\n')}\n`;
}
