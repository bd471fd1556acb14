import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMediaName, MEDIA_FOLDER, plainEntry, type MediaKind } from './media-names.js';

/** One file of a camera's media folder. */
export interface MediaFile {
  /** Path relative to the camera's folder (`gate-….mkv`, `clips/gate-3-1.mp4`, `snapshots/….jpg`). */
  readonly name: string;
  readonly kind: MediaKind;
  readonly bytes: number;
  /** When its last byte was written, ms since the Unix epoch. */
  readonly mtimeMs: number;
}

/** The quota and age limit of one camera's folder. */
export interface RetentionLimits {
  /** Largest total size of the folder's media, bytes. */
  readonly maxBytes: number;
  /** Files older than this (by their last write) go, ms; 0 = no age limit. */
  readonly maxAgeMs: number;
  /** Now, ms since the Unix epoch. */
  readonly now: number;
  /** Files that must stay whatever the limits (the segment being written, segments a clip being made needs). */
  readonly keep: (file: MediaFile) => boolean;
}

/**
 * Every media file of a camera's folder `dir`: its recording segments (`<camera>-…-<n>.mkv`), event
 * clips (`clips/*.mp4`) and snapshots (`snapshots/*.jpg`), oldest first by last write. Only regular
 * files under edgevis's exact names ({@link isMediaName}) count: files another camera or a person
 * put there, and symbolic links (to files or folders, whatever their name), are not listed, so
 * retention never deletes them. A folder that does not exist, or is a link, has none.
 */
export function listCameraMedia(dir: string, cameraId: string): MediaFile[] {
  const files: MediaFile[] = [];
  if (!plainEntry(dir, 'folder')) return files;
  for (const kind of ['segment', 'clip', 'snapshot'] as const) {
    const sub = MEDIA_FOLDER[kind];
    if (sub && !plainEntry(join(dir, sub), 'folder')) continue;
    let names: string[];
    try {
      names = readdirSync(join(dir, sub));
    } catch {
      continue;
    }
    for (const name of names) {
      if (!isMediaName(kind, cameraId, name)) continue;
      const path = sub ? join(sub, name) : name;
      const s = plainEntry(join(dir, path), 'file'); // undefined: a link, or deleted meanwhile
      if (s) files.push({ name: path, kind, bytes: s.size, mtimeMs: s.mtimeMs });
    }
  }
  return files.sort((a, b) => a.mtimeMs - b.mtimeMs);
}

/**
 * Which files to delete so a camera's folder keeps its limits (Frigate's and DeepStream's rule:
 * oldest first, whatever kind): every file past the age limit, then the oldest until the total
 * fits `maxBytes`. Files `keep` holds stay and still count, so the folder can exceed the quota by
 * them (the segment being written) and no more.
 * @param files oldest first ({@link listCameraMedia})
 * @returns the files to delete with why, oldest first
 */
export function retentionVictims(
  files: readonly MediaFile[],
  limits: RetentionLimits,
): { file: MediaFile; reason: 'quota' | 'age' }[] {
  let total = files.reduce((n, f) => n + f.bytes, 0);
  const victims: { file: MediaFile; reason: 'quota' | 'age' }[] = [];
  for (const file of files) {
    if (limits.keep(file)) continue;
    const tooOld = limits.maxAgeMs > 0 && limits.now - file.mtimeMs > limits.maxAgeMs;
    if (!tooOld && total <= limits.maxBytes) continue;
    victims.push({ file, reason: tooOld ? 'age' : 'quota' });
    total -= file.bytes;
  }
  return victims;
}
