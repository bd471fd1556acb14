import { resolve } from 'node:path';
import { ConfigError, isRecord, parseConfig, readConfigFile } from './load.js';
import type { EdgevisConfig } from './schema.js';

/** The default input: PETS09-S2L1 from Debian's opencv-doc package. */
export const DEFAULT_SOURCE = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';

/** Command-line choices that map onto config fields (`edgevis run` and `edgevis replay`). */
export interface CommandLineConfig {
  /** Config file (YAML/JSON); its relative paths resolve against its folder. */
  readonly config?: string;
  /** Sources; replace the file's cameras (ids cam1, cam2, …; one source alone is cam1). */
  readonly source?: readonly string[];
  /** Segmentation model: a path (`model.path`, pinned), or a profile name or `auto` (`model.profile`). */
  readonly model?: string;
  /** External MQTT broker (`publish.mqtt.url`). */
  readonly mqttUrl?: string;
  /** false turns MQTT publishing off. */
  readonly mqtt?: boolean;
  /** false turns the WebSocket server off. */
  readonly ws?: boolean;
  readonly wsPort?: number;
  readonly mqttPort?: number;
  /** Pace every camera by media time. */
  readonly realtime?: boolean;
  readonly maxFrames?: number;
  /** `model.classes`. */
  readonly classes?: readonly string[];
  /** Frame rate of frame folders, fps (`cameras[].folderFps`). */
  readonly folderFps?: number;
  /** `fleet.servers`, comma-separated (else $EDGEVIS_FLEET_SERVERS). */
  readonly fleet?: string;
  /** `fleet.name`. */
  readonly fleetName?: string;
  /** `nodeId` (else $EDGEVIS_NODE_ID). */
  readonly nodeId?: string;
}

/**
 * Turns command-line choices into one validated config: the config file (or one camera on
 * {@link DEFAULT_SOURCE}) with the flags laid over it (flags win), validated once.
 * @throws ConfigError naming the file and every invalid field (a flag's field is named by its config path)
 */
export async function configFromCommandLine(
  flags: CommandLineConfig,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EdgevisConfig> {
  const file = flags.config ? await readConfigFile(flags.config) : {};
  const fleetServers = (flags.fleet ?? env.EDGEVIS_FLEET_SERVERS)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const fleet =
    fleetServers?.length || flags.fleetName
      ? overlay(file.fleet, { servers: fleetServers?.length ? fleetServers : undefined, name: flags.fleetName })
      : file.fleet;
  // A fleet node without cameras of its own runs the fleet's; one machine runs the default recording.
  const sources = flags.source?.length ? flags.source : flags.config || fleet ? null : [DEFAULT_SOURCE];
  const listed = sources
    ? sources.map((source, i) => ({ id: sources.length > 1 ? `cam${i + 1}` : 'cam1', source }))
    : file.cameras;
  const cameraPatch = { realtime: flags.realtime || undefined, maxFrames: flags.maxFrames, folderFps: flags.folderFps };
  const publish = isRecord(file.publish) ? file.publish : undefined;
  const input = {
    ...file,
    cameras: Array.isArray(listed) ? listed.map((c) => overlay(c, cameraPatch)) : (listed ?? (fleet ? [] : listed)),
    ...(fleet !== undefined ? { fleet } : {}),
    ...((flags.nodeId ?? env.EDGEVIS_NODE_ID) ? { nodeId: flags.nodeId ?? env.EDGEVIS_NODE_ID } : {}),
    // --model takes a path (pins that file) or a name: a profile, 'auto', or a file in the model folders.
    model: overlay(typeof file.model === 'string' ? { profile: file.model } : file.model, {
      ...(flags.model && (flags.model.includes('/') || flags.model.endsWith('.onnx'))
        ? { path: resolve(flags.model) }
        : flags.model
          ? { profile: flags.model, path: undefined, file: undefined }
          : {}),
      classes: flags.classes?.length ? [...flags.classes] : undefined,
    }),
    publish: overlay(file.publish, {
      websocket: overlay(publish?.websocket, { enabled: flags.ws === false ? false : undefined, port: flags.wsPort }),
      mqtt: overlay(publish?.mqtt, {
        enabled: flags.mqtt === false ? false : undefined,
        url: flags.mqttUrl || undefined,
        brokerPort: flags.mqttPort,
      }),
    }),
  };
  return parseConfig(input, flags.config ? `${flags.config} + command line` : 'command line');
}

/**
 * `value` with the defined entries of `patch` laid over it. With nothing to lay over it, the
 * value is kept as it is, even when it is no mapping (validation then names it).
 */
function overlay(value: unknown, patch: Record<string, unknown>): unknown {
  const keys = Object.keys(patch).filter((k) => patch[k] !== undefined);
  if (keys.length === 0) return value;
  return { ...(isRecord(value) ? value : {}), ...Object.fromEntries(keys.map((k) => [k, patch[k]])) };
}

export { ConfigError };
