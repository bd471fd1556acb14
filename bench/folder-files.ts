import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every file under `dir` (recursive) with its size in bytes; none when `dir` does not exist (yet). */
export function filesUnder(dir: string): { name: string; bytes: number }[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory()
      ? filesUnder(join(dir, e.name))
      : [{ name: join(dir, e.name), bytes: statSync(join(dir, e.name), { throwIfNoEntry: false })?.size ?? 0 }],
  );
}

/** Total bytes of every file under `dir` (recursive; 0 when it does not exist yet). */
export function bytesUnder(dir: string): number {
  return filesUnder(dir).reduce((n, f) => n + f.bytes, 0);
}
