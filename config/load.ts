import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { configSchema, type EdgevisConfig, type EdgevisConfigInput } from './schema.js';

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
 * Validates a config object, applying defaults.
 * @param origin where it came from, named in errors (a file path or 'command line')
 * @throws ConfigError naming every invalid field and what is expected
 */
export function parseConfig(input: unknown, origin: string): EdgevisConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${formatPath(issue.path)}: ${issue.message}`);
  throw new ConfigError(`invalid config (${origin}):\n${lines.join('\n')}\nSee README.md "Configuration" for every field and its default.`);
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/**
 * Reads a YAML or JSON config file and validates it. Relative source paths and model paths
 * in the file are resolved against the file's folder.
 * @throws ConfigError when the file is missing, not YAML/JSON, or invalid
 */
export async function loadConfigFile(path: string): Promise<EdgevisConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`config file ${path} cannot be read (${(err as NodeJS.ErrnoException).code}); pass an existing YAML file with --config`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  const config = parseConfig(raw, path);
  const base = dirname(resolve(path));
  const abs = (p: string) => (isAbsolute(p) || /^[a-z]+:\/\//i.test(p) ? p : resolve(base, p));
  return {
    ...config,
    cameras: config.cameras.map((c) => ({ ...c, source: abs(c.source) })),
    model: { ...config.model, path: config.model.path && abs(config.model.path), dir: config.model.dir && abs(config.model.dir) },
  };
}

/** JSON Schema of the config file (for editors and docs), generated from the zod schema. */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}

export type { EdgevisConfig, EdgevisConfigInput };
