import { existsSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { modelNotFoundMessage } from '../../config/model-path.js';
import type { ModelConfig } from '../../config/schema.js';

/**
 * A segmentation model by name: its file in the model folders and what it was measured to give.
 * Accuracy comes from `bench/model-profiles.ts` (PETS09-S2L1 frames 1-400, persons, OSNet x0.25,
 * tracker defaults, scored as TrackEval does); the cost is measured on each machine at run time
 * (profile-costs.ts), never assumed.
 */
export interface ModelProfile {
  /** Name used in the config (`model: yolo11n-seg-480`), metrics and logs. */
  readonly name: string;
  /** File name in the model folders. */
  readonly file: string;
  /** Square input size, pixels (the model's own; informational). */
  readonly inputSize: number;
  /** HOTA on PETS09-S2L1 frames 1-400 (%), the accuracy `auto` ranks by. */
  readonly hota: number;
  /** ID switches on the same run. */
  readonly idSwitches: number;
}

/**
 * The profiles edgevis knows, most accurate first (the order `auto` tries them in). The int8
 * model is selectable by name but never chosen by `auto`: it is slower than its float twin on
 * CPUs and has no GPU kernels.
 */
export const MODEL_PROFILES: readonly ModelProfile[] = [
  { name: 'yolo11n-seg-480', file: 'yolo11n-seg_480_fp32.onnx', inputSize: 480, hota: 59.2, idSwitches: 5 },
  { name: 'yolo11n-seg-640', file: 'yolo11n-seg_640_fp32.onnx', inputSize: 640, hota: 58.4, idSwitches: 5 },
  { name: 'yolov8n-seg-320', file: 'yolov8n-seg_fp32.onnx', inputSize: 320, hota: 56.3, idSwitches: 21 },
];

/** Profiles selectable by name only (never chosen by `auto`). */
export const EXTRA_PROFILES: readonly ModelProfile[] = [
  { name: 'yolov8n-seg-320-int8', file: 'yolov8n-seg_int8.onnx', inputSize: 320, hota: 56.4, idSwitches: 19 },
];

/** The folders model files are looked up in, in order: `model.dir`, `$EDGEVIS_MODEL_DIR`, `<project>/../shared/models`. */
export function modelDirs(
  model: Pick<ModelConfig, 'dir'>,
  projectDir: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return [model.dir, env.EDGEVIS_MODEL_DIR, resolve(projectDir, '..', 'shared', 'models')].filter(
    (d): d is string => !!d,
  );
}

/** A profile found on disk: its definition and the file's path. */
export interface AvailableProfile {
  readonly profile: ModelProfile;
  readonly path: string;
}

/** The profiles whose file exists in one of `dirs`, in the order of `profiles`. */
export function availableProfiles(
  dirs: readonly string[],
  profiles: readonly ModelProfile[] = MODEL_PROFILES,
): AvailableProfile[] {
  return profiles.flatMap((profile) => {
    const path = dirs.map((d) => join(d, profile.file)).find((p) => existsSync(p));
    return path ? [{ profile, path }] : [];
  });
}

/** A model named in the config that is neither a known profile nor an existing file. */
export class UnknownModelError extends Error {
  override readonly name = 'UnknownModelError';
  readonly code = 'not-found';
}

/**
 * Resolves a model as the config names it: a profile name (`yolo11n-seg-480`), a file name in the
 * model folders (`yolov8n-seg_fp32.onnx`), or a path (absolute, or containing "/").
 * @returns the file's path and the profile it is (a file of a known profile counts as that profile; another file gets its own name)
 * @throws UnknownModelError listing the profiles that exist here and the folders looked in, when nothing matches
 */
export function resolveModel(
  spec: string,
  dirs: readonly string[],
): { path: string; profile: ModelProfile | null; name: string } {
  const all = [...MODEL_PROFILES, ...EXTRA_PROFILES];
  const named = all.find((p) => p.name === spec);
  const isPath = isAbsolute(spec) || spec.includes('/');
  const candidates = named ? dirs.map((d) => join(d, named.file)) : isPath ? [spec] : dirs.map((d) => join(d, spec));
  const path = candidates.find((c) => existsSync(c));
  if (path) {
    const profile = named ?? all.find((p) => p.file === basename(path)) ?? null;
    return { path, profile, name: profile?.name ?? basename(path).replace(/\.onnx$/, '') };
  }
  const here = availableProfiles(dirs, all).map((a) => a.profile.name);
  const profiles = `Profiles available here: ${here.length ? here.join(', ') : 'none'} (or 'auto': the most accurate one this machine can afford); known: ${all.map((p) => `${p.name} (${p.file})`).join(', ')}.`;
  if (named) {
    throw new UnknownModelError(
      [
        `model profile '${spec}' is known, but its file ${named.file} is not in the model folders; looked in:`,
        ...candidates.map((c) => `  - ${c}`),
        'Fix: set model.dir or EDGEVIS_MODEL_DIR to the folder that holds it, or name another profile.',
        profiles,
      ].join('\n'),
    );
  }
  if (isPath || spec.endsWith('.onnx'))
    throw new UnknownModelError(`${modelNotFoundMessage(basename(spec), { found: null, candidates })}\n${profiles}`);
  throw new UnknownModelError(
    [
      `model '${spec}' is neither a profile name nor a model file; looked in:`,
      ...candidates.map((c) => `  - ${c}`),
      'Fix: name one of the available profiles, give a path to an .onnx file, or set model.dir / EDGEVIS_MODEL_DIR to the folder that holds the models.',
      profiles,
    ].join('\n'),
  );
}
