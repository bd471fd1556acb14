import { mkdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

/**
 * `mkdir -p`: makes `dir` and its missing parents, one level at a time.
 * Node's own `mkdirSync(dir, { recursive: true })` never returns for a folder under /proc (it
 * retries the parent forever on ENOENT, seen with Node 20), which hung a camera whose recordings
 * folder pointed there; this one fails with the first error instead.
 * @throws the first error other than EEXIST (ENOENT, EACCES, EROFS, ENOSPC …)
 */
export function makeFolders(dir: string): void {
  const parts = resolve(dir).split(sep).filter(Boolean);
  let path: string = sep;
  for (const part of parts) {
    path = join(path, part);
    try {
      mkdirSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
