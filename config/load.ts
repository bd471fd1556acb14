import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  cameraSchema,
  configSchema,
  type CameraConfig,
  type EdgevisConfig,
  type EdgevisConfigInput,
} from './schema.js';

/** A config that does not validate; `message` lists each field path with its problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Folder of this project (the one holding package.json), from this module's location. */
export function projectRoot(): string {
  // config/load.ts lives in <root>/config or <root>/dist/config.
  const here = dirname(fileURLToPath(import.meta.url));
  return here.endsWith('/dist/config') ? resolve(here, '../..') : resolve(here, '..');
}

/**
 * Validates a config object, applying defaults, and freezes the result (deeply): a config is
 * never changed after validation.
 * @param origin where it came from, named in errors (a file path or 'command line')
 * @throws ConfigError naming every invalid field and what is expected
 */
export function parseConfig(input: unknown, origin: string): EdgevisConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return deepFreeze(result.data);
  const lines = result.error.issues.map((issue) => `  - ${formatPath(issue.path)}: ${issue.message}`);
  throw new ConfigError(
    `invalid config (${origin}):\n${lines.join('\n')}\nSee README.md "Configuration" or \`edgevis config-schema\` for every field and its default.`,
  );
}

/**
 * Validates one camera given at run time (camera API), applying defaults; relative paths
 * resolve against `baseDir`, and the result is frozen.
 * @throws ConfigError naming every invalid field
 */
export function parseCameraConfig(input: unknown, origin: string, baseDir: string): CameraConfig {
  const resolved = resolveConfigPaths({ cameras: [input] }, baseDir) as { cameras: unknown[] };
  const result = cameraSchema.safeParse(resolved.cameras[0]);
  if (result.success) return deepFreeze(result.data);
  const lines = result.error.issues.map((issue) => `  - ${formatPath(issue.path)}: ${issue.message}`);
  throw new ConfigError(
    `invalid camera (${origin}):\n${lines.join('\n')}\nSee \`edgevis config-schema\` (cameras[]) for every field and its default.`,
  );
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Whether a parsed YAML/JSON value is a mapping. */
export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Makes every relative path of a raw (not yet validated) config absolute against `baseDir`:
 * camera sources, per-camera model paths (values containing "/"; a bare name is a file name
 * looked up in the model folders), `stateDir`, `model.path`, `model.dir`, `embedder.path`, `api.tokenFile`, `publish.websocket.tokenFile`, `publish.mqtt.passwordFile` and `caFile`. URLs
 * (`scheme://…`) and absolute paths are kept; fields of the wrong type are left for validation
 * to report.
 */
export function resolveConfigPaths(raw: unknown, baseDir: string): unknown {
  if (!isRecord(raw)) return raw;
  const abs = (p: unknown) =>
    typeof p === 'string' && p !== '' && !isAbsolute(p) && !/^[a-z][a-z0-9+.-]*:\/\//i.test(p)
      ? resolve(baseDir, p)
      : p;
  const withPaths = (section: unknown, keys: readonly string[], when: (v: string) => boolean = () => true) => {
    if (!isRecord(section)) return section;
    const out = { ...section };
    for (const k of keys) if (typeof out[k] === 'string' && when(out[k])) out[k] = abs(out[k]);
    return out;
  };
  return {
    ...raw,
    ...(typeof raw.stateDir === 'string' ? { stateDir: abs(raw.stateDir) } : {}),
    ...(typeof raw.recordingsDir === 'string' ? { recordingsDir: abs(raw.recordingsDir) } : {}),
    ...(Array.isArray(raw.cameras)
      ? {
          cameras: raw.cameras.map((c) => withPaths(withPaths(c, ['source']), ['model'], (m) => m.includes('/'))),
        }
      : {}),
    ...('model' in raw ? { model: withPaths(raw.model, ['path', 'dir']) } : {}),
    ...('embedder' in raw ? { embedder: withPaths(raw.embedder, ['path']) } : {}),
    ...('api' in raw ? { api: withPaths(raw.api, ['tokenFile']) } : {}),
    ...('fleet' in raw ? { fleet: withPaths(raw.fleet, ['passwordFile', 'tokenFile', 'credsFile']) } : {}),
    ...(isRecord(raw.publish)
      ? {
          publish: {
            ...raw.publish,
            ...('websocket' in raw.publish
              ? { websocket: withPaths(raw.publish.websocket, ['tokenFile', 'certFile', 'keyFile']) }
              : {}),
            ...('mqtt' in raw.publish
              ? { mqtt: withPaths(raw.publish.mqtt, ['passwordFile', 'caFile', 'brokerCertFile', 'brokerKeyFile']) }
              : {}),
          },
        }
      : {}),
  };
}

/**
 * Reads a YAML or JSON config file, with its relative paths made absolute against the file's
 * folder ({@link resolveConfigPaths}); not validated yet.
 * @throws ConfigError when the file is missing or not YAML/JSON
 */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `config file ${path} cannot be read (${(err as NodeJS.ErrnoException).code}); pass an existing YAML file with --config`,
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (!isRecord(raw))
    throw new ConfigError(
      `config file ${path} must hold a mapping (cameras, model, tracker, publish), not ${Array.isArray(raw) ? 'a list' : typeof raw}`,
    );
  return resolveConfigPaths(raw, dirname(resolve(path))) as Record<string, unknown>;
}

/**
 * Reads, resolves and validates a config file.
 * @throws ConfigError when the file is missing, not YAML/JSON, or invalid
 */
export async function loadConfigFile(path: string): Promise<EdgevisConfig> {
  return parseConfig(await readConfigFile(path), path);
}

/** JSON Schema of the config file (for editors and docs), with every field's description, generated from the zod schema. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}

export type { EdgevisConfig, EdgevisConfigInput };

/** This process's node id: `nodeId` from the config, else the host name made topic-safe (other characters become "-"). */
export function nodeIdOf(config: Pick<EdgevisConfig, 'nodeId'>, hostname: string): string {
  return config.nodeId ?? (hostname.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64) || 'edgevis');
}
