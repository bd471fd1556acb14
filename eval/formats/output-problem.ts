// What a replay's outputs say when they cannot be written: the file, the cause, the fix. Shared by
// the event log (main thread) and the result files (their worker thread).
import { closeSync, openSync, writeFileSync, writeSync } from 'node:fs';

/** An output of edgevis (a replay's files) could not be created or written. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
}

/** What went wrong writing `path`, with the fix: a full disk, no permission, anything else by its code. */
export function outputProblem(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const fix =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'the disk is full: free space or write elsewhere (--out)'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'this user may not write there: choose another folder (--out) or fix its permissions'
        : 'check the folder (--out)';
  return `cannot write ${path} (${code ?? (err as Error).message}): ${fix}`;
}

/** `writeFileSync` that fails with an {@link OutputError} naming `path`, the cause and the fix. */
export function writeOutputFile(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    throw new OutputError(outputProblem(path, err));
  }
}

/** `openSync(path, 'w')` that fails with an {@link OutputError} naming `path`. */
export function openOutputFile(path: string): number {
  try {
    return openSync(path, 'w');
  } catch (err) {
    throw new OutputError(outputProblem(path, err));
  }
}

/** `writeSync` to a file opened by {@link openOutputFile}; fails with an {@link OutputError} naming `path`. */
export function appendOutput(fd: number, path: string, text: string): void {
  try {
    writeSync(fd, text);
  } catch (err) {
    throw new OutputError(outputProblem(path, err));
  }
}

/** `closeSync` (which flushes nothing here, but reports a delayed write error) naming `path`. */
export function closeOutput(fd: number, path: string): void {
  try {
    closeSync(fd);
  } catch (err) {
    throw new OutputError(outputProblem(path, err));
  }
}
