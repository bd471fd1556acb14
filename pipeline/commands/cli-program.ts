// The `edgevis` command line (commander): run, replay, eval, simulate-camera, config-schema,
// message-schema, record. Started by cli.ts once the start settings apply (pipeline/process/start-settings.ts).
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_SOURCE } from '../../config/command-line.js';
import { evalCommand, type EvalFlags } from './eval-command.js';
import { recordCommand, type RecordFlags } from './record-command.js';
import { replayCommand, type ReplayFlags } from './replay-command.js';
import { runCommand, type RunFlags } from './run-command.js';
import { configSchemaCommand, messageSchemaCommand } from './schema-commands.js';
import { simulateCameraCommand, type SimulateCameraFlags } from './simulate-camera-command.js';
import { exitNow } from '../process/process-control.js';

const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return n;
};

/**
 * Once a command finished (cameras stopped, publishers closed), the process exits even if a
 * native handle (a GStreamer thread of a pipeline that failed to start) still holds the event
 * loop: a service must always exit. The timer does not itself keep the process alive.
 */
function exitSoon(graceMs = 3000): void {
  setTimeout(() => process.exit(), graceMs).unref();
}

const program = new Command('edgevis').description(
  'Online video instance segmentation and tracking for live cameras, published over WebSocket and MQTT',
);

program
  .command('run')
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
  .option(
    '--fleet <servers>',
    'join a fleet: NATS JetStream servers, comma-separated, e.g. nats://10.0.0.5:4222 (or $EDGEVIS_FLEET_SERVERS)',
  )
  .option('--fleet-name <name>', 'the site this node serves (fleet.name; default edgevis)')
  .option('--node-id <id>', "this node's id, unique in the fleet (nodeId; default the host name, or $EDGEVIS_NODE_ID)")
  .option('--log-level <level>', 'trace|debug|info|warn|error (default info, or $LOG_LEVEL)')
  // Once stopped, the process ends at once: a natural exit first closes Node's signal watchers, and a
  // repeated group signal arriving then killed the process by the default action instead of exit 0.
  // Everything is released by then (cameras, publishers, inference workers) and the log is flushed.
  .action(async (flags: RunFlags) => {
    exitNow(await runCommand(flags));
  });

program
  .command('replay')
  .description(
    'replay a recording (file, frame folder or rtsp:// URL) through the live graph; writes a deterministic event log and result files',
  )
  .argument('<source>', 'video file, folder of frames, or rtsp:// URL')
  .option(
    '-o, --out <dir>',
    'write events.jsonl plus MOTChallenge, MOTS, YouTube-VIS and DAVIS results here',
    undefined,
  )
  .option('--realtime', 'pace frames by media time like a live camera (drops frames when the model is slower)')
  .option('-c, --config <file>', 'YAML/JSON config (model, tracker, publish); its cameras are replaced by <source>')
  .option('-m, --model <path>', 'segmentation model (.onnx)')
  .option('--max-frames <n>', 'stop after n frames', int('--max-frames'))
  .option('--classes <names...>', 'keep only these class names, e.g. --classes person')
  .option('--fps <fps>', 'frame rate of a frame folder (default from config, 10)', Number)
  .option('--serve', 'also publish over WebSocket and MQTT as configured (default: files only)')
  .option('--log-level <level>', 'trace|debug|info|warn|error (default warn during replay, or $LOG_LEVEL)')
  .action(async (source: string, flags: ReplayFlags) => {
    process.exitCode = await replayCommand(source, flags);
    exitSoon();
  });

program
  .command('eval')
  .description('score tracking results against ground truth: HOTA, CLEAR MOT, IDF1 (and J&F for DAVIS)')
  .requiredOption('--gt <path>', 'MOTChallenge gt.txt (or its sequence folder), MOTS txt, or DAVIS Annotations folder')
  .requiredOption('--pred <path>', "the --out folder of 'edgevis replay', or a result file")
  .option('--frames <A-B>', 'score only frames A..B (1-based, inclusive); predictions outside do not count')
  .option('--json <file>', "also write the scores as JSON ('-' for stdout instead of the table)")
  .action((flags: EvalFlags) => {
    process.exitCode = evalCommand(flags);
  });

program
  .command('simulate-camera')
  .description('serve a recording as a live RTSP camera on 127.0.0.1 (gst-rtsp-server), for testing without hardware')
  .argument('<file>', 'any recording GStreamer can decode')
  .option('--fps <fps>', 'frames per second the camera delivers', int('--fps'), 10)
  .option('--loop', 'start again at the end of the file (forever)')
  .option('--port <port>', 'TCP port (default: a free one)', int('--port'))
  .option('--mount <path>', 'URL path', 'camera')
  .option('--codec <codec>', 'jpeg (RTP/JPEG) or h264 (x264, as IP cameras)', 'jpeg')
  .action(async (file: string, flags: SimulateCameraFlags) => {
    process.exitCode = await simulateCameraCommand(file, flags);
  });

program
  .command('record')
  .description(
    'record a camera (RTSP/HTTP: the stream as it is, no re-encoding; a device or file: encoded with x264) into a Matroska file, for tests and replays',
  )
  .argument('<source>', 'rtsp:// or http(s):// URL, /dev/videoN, or a file')
  .requiredOption('-o, --out <file>', 'the .mkv file to write')
  .option('-d, --duration <seconds>', 'how long to record', Number, 60)
  .action(async (source: string, flags: RecordFlags) => {
    process.exitCode = await recordCommand(source, flags);
  });

program
  .command('config-schema')
  .description('print the JSON Schema of the config file: every field with its description, unit and default')
  .action(configSchemaCommand);

program
  .command('message-schema')
  .description('print the JSON Schema of the published messages (operators/wire/track-messages.schema.json)')
  .action(messageSchemaCommand);

await program.parseAsync(process.argv);
