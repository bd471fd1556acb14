import { createRequire } from 'node:module';

/**
 * Process calls Node.js 20 lacks, from the `edgevis-process` addon (pipeline/process/native/process.c,
 * built by node-gyp when the packages are installed).
 */
interface ProcessAddon {
  /** Replaces the program in this process (same PID and process group); returns only by throwing. */
  execve(file: string, argv: readonly string[], env: readonly string[]): never;
  /** _exit(2): ends the process at once, no atexit handlers, no C++ static destructors. */
  exitNow(code: number): never;
  /** Malloc arenas glibc has made in this process (-1 when malloc_info failed). */
  mallocArenas(): number;
}

/** Why the addon is not in use, or null when it is. */
export let processAddonUnavailable: string | null = null;

const addon: ProcessAddon | null = (() => {
  try {
    return createRequire(import.meta.url)('edgevis-process') as ProcessAddon;
  } catch (e) {
    processAddonUnavailable = `the edgevis-process addon did not load (${(e as Error).message.split('\n')[0]}); run ./setup.sh to build it`;
    return null;
  }
})();

/**
 * Starts this program again in the same process (execve: same PID, process group and descriptors),
 * with `execArgv` for Node and `env` as the environment. Returns only when that is impossible (the
 * addon is missing, or execve failed), with why.
 */
export function execInPlace(execArgv: readonly string[], env: NodeJS.ProcessEnv): string {
  if (!addon) return processAddonUnavailable!;
  const argv = [process.execPath, ...execArgv, ...process.argv.slice(1)];
  const pairs = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
  try {
    return addon.execve(process.execPath, argv, pairs);
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * Ends the process now with `code`, without running exit handlers or native teardown: for a stop
 * that is forced or that did not finish in time. A normal `process.exit()` then runs C++ static
 * destructors and stops worker threads while an inference may be inside ONNX Runtime, which aborted
 * the process (exit 134, "terminate called after throwing an instance of 'Napi::Error'"). Writes to
 * stdout/stderr made before are already out (Node writes files, pipes and terminals synchronously).
 * Falls back to `process.exit` without the addon.
 */
export function exitNow(code: number): never {
  if (addon) addon.exitNow(code);
  process.exit(code);
}

/** Malloc arenas in this process (glibc), or null without the addon: shows whether MALLOC_ARENA_MAX took effect. */
export function mallocArenas(): number | null {
  const n = addon?.mallocArenas();
  return n === undefined || n < 0 ? null : n;
}
