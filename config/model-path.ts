import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ModelConfig } from './schema.js';

/** Where a model file was looked for, in order, and which one exists (if any). */
export interface ModelLookup {
  readonly found: string | null;
  readonly candidates: readonly string[];
}

/**
 * Resolves a model file: explicit path (CLI `--model` or `model.path`) > `model.dir` >
 * `$EDGEVIS_MODEL_DIR` > `<project>/../shared/models` (development default). Nothing is downloaded.
 *
 * @param file file name to look for inside the folders
 */
export function resolveModelFile(
  model: Pick<ModelConfig, 'path' | 'dir'>,
  file: string,
  projectDir: string,
  env = process.env,
): ModelLookup {
  if (model.path) return { found: existsSync(model.path) ? model.path : null, candidates: [model.path] };
  if (isAbsolute(file) && existsSync(file)) return { found: file, candidates: [file] };
  const dirs = [model.dir, env.EDGEVIS_MODEL_DIR, resolve(projectDir, '..', 'shared', 'models')].filter(
    (d): d is string => !!d,
  );
  const candidates = dirs.map((d) => join(d, file));
  return { found: candidates.find((c) => existsSync(c)) ?? null, candidates };
}

/** The error text for a model that was not found: what, where, and how to get one. */
export function modelNotFoundMessage(file: string, lookup: ModelLookup): string {
  return [
    `model ${file} not found; looked in:`,
    ...lookup.candidates.map((c) => `  - ${c}`),
    'Fix: pass --model /path/to/model.onnx, set model.path or model.dir in the config, or set EDGEVIS_MODEL_DIR.',
    'To get a model (on a machine with internet): `pip install ultralytics && yolo export model=yolov8n-seg.pt format=onnx imgsz=640`.',
  ].join('\n');
}
