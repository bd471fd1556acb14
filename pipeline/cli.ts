#!/usr/bin/env node
// libuv's pool runs GStreamer's blocking appsink pulls and bus polls (2 per camera) beside fs
// work; the default 4 threads would starve with two cameras. Must be set before first use.
process.env.UV_THREADPOOL_SIZE ??= '32';

import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfigFile, parseConfig, configJsonSchema } from '../config/load.js';
import type { EdgevisConfig, EdgevisConfigInput } from '../config/schema.js';
import { createLogger } from './logger.js';
import { startEdgevis } from './runtime.js';
import { formatStatusLine } from './status-line.js';
import { evalCommand, type EvalFlags } from './eval-command.js';
import { replayCommand, type ReplayFlags } from './replay-command.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';

/** The default input: PETS09-S2L1 from Debian's opencv-doc package. */
export const DEFAULT_SOURCE = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return n;
};

interface RunFlags {
  config?: string; source?: string[]; model?: string; mqttUrl?: string; mqtt: boolean; ws: boolean;
  wsPort?: number; mqttPort?: number; realtime?: boolean; maxFrames?: number; logLevel?: string; classes?: string[];
}

/** Builds the config from --config and flags (flags win). @throws ConfigError */
export async function configFromFlags(flags: RunFlags): Promise<EdgevisConfig> {
  const base: EdgevisConfig | null = flags.config ? await loadConfigFile(flags.config) : null;
  const input: EdgevisConfigInput = base ? structuredClone(base) : {
    cameras: (flags.source?.length ? flags.source : [DEFAULT_SOURCE]).map((source, i) => ({ id: flags.source && flags.source.length > 1 ? `cam${i + 1}` : 'cam1', source })),
  };
  if (base && flags.source?.length) input.cameras = flags.source.map((source, i) => ({ id: `cam${i + 1}`, source }));
  input.cameras = input.cameras.map((c) => ({ ...c, ...(flags.realtime ? { realtime: true } : {}), ...(flags.maxFrames ? { maxFrames: flags.maxFrames } : {}) }));
  input.publish = { ...(input.publish ?? {}) };
  input.publish.websocket = { ...(input.publish.websocket ?? {}), ...(flags.ws ? {} : { enabled: false }), ...(flags.wsPort !== undefined ? { port: flags.wsPort } : {}) };
  input.publish.mqtt = {
    ...(input.publish.mqtt ?? {}), ...(flags.mqtt ? {} : { enabled: false }),
    ...(flags.mqttUrl ? { url: flags.mqttUrl } : {}), ...(flags.mqttPort !== undefined ? { brokerPort: flags.mqttPort } : {}),
  };
  if (flags.model) input.model = { ...(input.model ?? {}), path: flags.model };
  if (flags.classes?.length) input.model = { ...(input.model ?? {}), classes: flags.classes };
  return parseConfig(input, flags.config ? `${flags.config} + command line` : 'command line');
}

async function run(flags: RunFlags): Promise<number> {
  const log = createLogger(flags.logLevel);
  let config: EdgevisConfig;
  try {
    config = await configFromFlags(flags);
  } catch (err) {
    if (err instanceof ConfigError) { process.stderr.write(`edgevis: ${err.message}\n`); return 2; }
    throw err;
  }
  let runtime;
  try {
    runtime = await startEdgevis(config, { logger: log, modelPath: flags.model });
  } catch (err) {
    process.stderr.write(`edgevis: ${(err as Error).message}\n`);
    return 1;
  }
  const out = process.stdout;
  const prefix = config.publish.mqtt.topicPrefix;
  out.write('edgevis is running. Subscribe to instance tracks:\n');
  if (runtime.websocketUrl) out.write(`  WebSocket: ${runtime.websocketUrl}  (one camera: ${runtime.websocketUrl}cameras/<id>)\n`);
  if (runtime.mqttUrl) {
    const u = new URL(runtime.mqttUrl);
    out.write(`  MQTT:      ${runtime.mqttUrl}${runtime.embeddedBroker ? ' (embedded broker)' : ''}  topics ${prefix}/<camera>/tracks, ${prefix}/<camera>/events\n`);
    out.write(`             e.g. mosquitto_sub -h ${u.hostname} -p ${u.port} -t '${prefix}/#' -v\n`);
  }
  out.write(`  cameras:   ${config.cameras.map((c) => `${c.id}=${c.source}`).join(', ')}\n`);
  const tty = out.isTTY;
  const timer = setInterval(() => {
    const line = formatStatusLine(runtime.cameras);
    out.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
  }, config.statusIntervalMs);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    out.write('\nstopping (Ctrl-C again to force)...\n');
    void runtime.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const cameras = await runtime.done;
  clearInterval(timer);
  await runtime.stop();
  out.write(`${tty ? '\r\x1b[2K' : ''}${formatStatusLine(cameras)}\n`);
  for (const c of cameras) {
    const perFrame = c.framesProcessed ? (c.detections / c.framesProcessed).toFixed(2) : '0';
    out.write(`[${c.id}] ${c.state}: ${c.framesProcessed} frames, ${perFrame} instances/frame, ${c.tracksStarted} tracks, ${c.sampling.dropped} dropped${c.error ? `\n  error: ${c.error}` : ''}\n`);
  }
  return cameras.some((c) => c.state === 'failed') ? 1 : 0;
}

const program = new Command('edgevis')
  .description('Online video instance segmentation and tracking for live cameras, published over WebSocket and MQTT');

program.command('run')
  .description(`run cameras from --config or --source (default: ${DEFAULT_SOURCE})`)
  .option('-c, --config <file>', 'YAML/JSON config file (cameras, model, tracker, publish)')
  .option('-s, --source <source...>', 'file, rtsp:// URL, /dev/videoN or JPEG frame folder (repeatable)')
  .option('-m, --model <path>', 'segmentation model (.onnx); default $EDGEVIS_MODEL_DIR or ../shared/models')
  .option('--mqtt-url <url>', 'external MQTT broker, e.g. mqtt://127.0.0.1:1883 (default: embedded broker)')
  .option('--mqtt-port <port>', 'embedded broker port', int('--mqtt-port'))
  .option('--no-mqtt', 'do not publish over MQTT')
  .option('--ws-port <port>', 'WebSocket port', int('--ws-port'))
  .option('--no-ws', 'do not start the WebSocket server')
  .option('--realtime', 'pace files by their timestamps like a live camera (drops frames when slow)')
  .option('--max-frames <n>', 'stop each camera after n frames', int('--max-frames'))
  .option('--classes <names...>', 'keep only these class names, e.g. --classes person car')
  .option('--log-level <level>', 'trace|debug|info|warn|error (default info, or $LOG_LEVEL)')
  .action(async (flags: RunFlags) => { process.exitCode = await run(flags); });

program.command('replay')
  .description('replay a recording (file, frame folder or rtsp:// URL) through the live graph; writes a deterministic event log and result files')
  .argument('<source>', 'video file, folder of frames, or rtsp:// URL')
  .option('-o, --out <dir>', 'write events.jsonl plus MOTChallenge, MOTS, YouTube-VIS and DAVIS results here', undefined)
  .option('--realtime', 'pace frames by media time like a live camera (drops frames when the model is slower)')
  .option('-c, --config <file>', 'YAML/JSON config (model, tracker, publish); its cameras are replaced by <source>')
  .option('-m, --model <path>', 'segmentation model (.onnx)')
  .option('--max-frames <n>', 'stop after n frames', int('--max-frames'))
  .option('--classes <names...>', 'keep only these class names, e.g. --classes person')
  .option('--fps <fps>', 'frame rate of a frame folder (default from config, 10)', Number)
  .option('--serve', 'also publish over WebSocket and MQTT as configured (default: files only)')
  .option('--log-level <level>', 'trace|debug|info|warn|error (default warn during replay, or $LOG_LEVEL)')
  .action(async (source: string, flags: ReplayFlags) => { process.exitCode = await replayCommand(source, flags, configFromFlags); });

program.command('eval')
  .description('score tracking results against ground truth: HOTA, CLEAR MOT, IDF1 (and J&F for DAVIS)')
  .requiredOption('--gt <path>', 'MOTChallenge gt.txt (or its sequence folder), MOTS txt, or DAVIS Annotations folder')
  .requiredOption('--pred <path>', "the --out folder of 'edgevis replay', or a result file")
  .option('--frames <A-B>', 'score only frames A..B (1-based, inclusive); predictions outside do not count')
  .option('--json <file>', "also write the scores as JSON ('-' for stdout instead of the table)")
  .action((flags: EvalFlags) => { process.exitCode = evalCommand(flags); });

program.command('simulate-camera')
  .description('serve a recording as a live RTSP camera on 127.0.0.1 (gst-rtsp-server), for testing without hardware')
  .argument('<file>', 'any recording GStreamer can decode')
  .option('--fps <fps>', 'frames per second the camera delivers', int('--fps'), 10)
  .option('--loop', 'start again at the end of the file (forever)')
  .option('--port <port>', 'TCP port (default: a free one)', int('--port'))
  .option('--mount <path>', 'URL path', 'camera')
  .action(async (file: string, flags: { fps: number; loop?: boolean; port?: number; mount: string }) => {
    try {
      const camera = await startRtspCamera(file, { fps: flags.fps, loop: !!flags.loop, port: flags.port, mount: flags.mount });
      process.stdout.write(`serving ${file} at ${flags.fps} fps${flags.loop ? ', looping' : ''}: ${camera.url}\n  e.g. edgevis run --source ${camera.url}\n`);
      const stop = () => { void camera.stop().then(() => process.exit(0)); };
      process.on('SIGINT', stop); process.on('SIGTERM', stop);
      camera.process.once('exit', (code) => { process.exitCode = code ?? 0; });
    } catch (err) {
      process.stderr.write(`edgevis: ${(err as Error).message}\n`);
      process.exitCode = 1;
    }
  });

program.command('config-schema')
  .description('print the JSON Schema of the config file')
  .action(() => { process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`); });

await program.parseAsync(process.argv);
