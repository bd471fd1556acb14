import { isDeepStrictEqual } from 'node:util';
import type { CameraConfig, EdgevisConfig } from './schema.js';

/** What a reload changes among the cameras, by id. */
export interface CameraDiff {
  /** Cameras in the new config only. */
  readonly added: readonly CameraConfig[];
  /** Ids of cameras in the old config only. */
  readonly removed: readonly string[];
  /** Cameras present in both whose settings differ (restarted with the new ones). */
  readonly changed: readonly CameraConfig[];
  /** Ids present in both with the same settings (left alone). */
  readonly unchanged: readonly string[];
}

/** Compares two camera lists by id; order does not matter. */
export function diffCameras(before: readonly CameraConfig[], after: readonly CameraConfig[]): CameraDiff {
  const old = new Map(before.map((c) => [c.id, c]));
  const next = new Map(after.map((c) => [c.id, c]));
  return {
    added: after.filter((c) => !old.has(c.id)),
    removed: before.filter((c) => !next.has(c.id)).map((c) => c.id),
    changed: after.filter((c) => old.has(c.id) && !isDeepStrictEqual(old.get(c.id), c)),
    unchanged: after.filter((c) => old.has(c.id) && isDeepStrictEqual(old.get(c.id), c)).map((c) => c.id),
  };
}

/** Top-level sections other than `cameras` that differ (they take effect only after a restart of the process). */
export function sectionsNeedingRestart(before: EdgevisConfig, after: EdgevisConfig): string[] {
  return (Object.keys(after) as (keyof EdgevisConfig)[]).filter(
    (k) => k !== 'cameras' && !isDeepStrictEqual(before[k], after[k]),
  );
}
