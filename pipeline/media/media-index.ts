import { appendFileSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { plainEntry } from './media-names.js';

/** File name of the index in each media folder (segments, `clips/`, `snapshots/`): one JSON line per file written. */
export const MEDIA_INDEX = 'index.jsonl';

/** A finished recording segment (`<camera folder>/index.jsonl`); times are wall clock, ISO 8601 UTC. */
export interface SegmentEntry {
  readonly file: string;
  /** Wall-clock time of its first and last frame. */
  readonly start: string;
  readonly end: string;
  readonly bytes: number;
}

/** An event clip (`clips/index.jsonl`): the clip_ready message's facts. */
export interface ClipEntry extends SegmentEntry {
  readonly clipId: string;
  /** The events it holds (their eventId). */
  readonly eventIds: readonly string[];
}

/** A track's snapshot (`snapshots/index.jsonl`). */
export interface SnapshotEntry {
  readonly file: string;
  /** Wall-clock time it was written, ISO 8601 UTC. */
  readonly time: string;
  /** The track_snapshot message's eventId. */
  readonly eventId: string;
  readonly trackId: number;
  readonly className: string;
  readonly score: number;
  readonly frameIndex: number;
  readonly bytes: number;
}

/**
 * Appends one entry to `<dir>/index.jsonl` (JSON Lines: a line is written whole or, after a crash,
 * cut off and skipped when read).
 * @throws Error from the file system (the caller decides: a recording fails, a snapshot is logged)
 */
export function appendToIndex<T extends { readonly file: string }>(dir: string, entry: T): void {
  appendFileSync(join(dir, MEDIA_INDEX), `${JSON.stringify(entry)}\n`);
}

/**
 * The entries of `<dir>/index.jsonl` whose file is still there as a regular file (retention deletes
 * files, not lines; a link put in a file's place does not count), in the order they were written;
 * none when there is no index. Lines that do not parse (a write cut off by a crash) are skipped.
 */
export function readIndex<T extends { readonly file: string }>(dir: string): T[] {
  let text: string;
  try {
    text = readFileSync(join(dir, MEDIA_INDEX), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .flatMap((line) => {
      if (!line) return [];
      try {
        return [JSON.parse(line) as T];
      } catch {
        return [];
      }
    })
    .filter(
      (e) => typeof e.file === 'string' && !e.file.includes('/') && plainEntry(join(dir, e.file), 'file') !== undefined,
    );
}

/** Rewrites `<dir>/index.jsonl` without the entries of deleted files (after retention), atomically (a rename). */
export function compactIndex(dir: string): void {
  if (!existsSync(join(dir, MEDIA_INDEX))) return;
  const kept = readIndex(dir);
  const temporary = join(dir, `${MEDIA_INDEX}.tmp`);
  writeFileSync(temporary, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
  renameSync(temporary, join(dir, MEDIA_INDEX));
}

/**
 * The file names `<dir>/index.jsonl` lists (whether or not they are still there), read again only
 * when the index changed (size or mtime): the media routes ask it for every byte-range request.
 */
export class IndexedNames {
  private readonly cache = new Map<string, { size: number; mtimeMs: number; names: Set<string> }>();

  /** Whether `<dir>/index.jsonl` lists `name`. */
  has(dir: string, name: string): boolean {
    let stat: import('node:fs').Stats;
    try {
      stat = statSync(join(dir, MEDIA_INDEX));
    } catch {
      this.cache.delete(dir);
      return false;
    }
    let known = this.cache.get(dir);
    if (!known || known.size !== stat.size || known.mtimeMs !== stat.mtimeMs) {
      const names = new Set<string>();
      for (const line of readFileSync(join(dir, MEDIA_INDEX), 'utf8').split('\n')) {
        try {
          const e = JSON.parse(line) as { file?: unknown };
          if (typeof e.file === 'string') names.add(e.file);
        } catch {
          /* a cut-off line */
        }
      }
      known = { size: stat.size, mtimeMs: stat.mtimeMs, names };
      this.cache.set(dir, known);
    }
    return known.names.has(name);
  }
}
