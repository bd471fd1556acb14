import { availableParallelism } from 'node:os';
import { execInPlace } from './process-control.js';

/** Set in the environment of the program started again, so it does not start itself again. */
const MARKER = 'EDGEVIS_START_SETTINGS';

/** Settings that only count when a process starts, and what edgevis wants of them. */
export interface StartSettings {
  /** Node flags to add (V8 reads them only at start). */
  readonly nodeFlags: readonly string[];
  /** Environment variables to add (glibc and libuv read them only at start). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * What this process lacks of the settings edgevis runs best with; empty when nothing is missing.
 * - `MALLOC_ARENA_MAX=2` unless set: glibc gives each of the ~50 threads (ONNX Runtime, GStreamer,
 *   libuv) arenas of its own, which fragment as RTSP reconnects build new pipelines: a 12-minute
 *   soak with 59 reconnects ended at 373 MB RSS growing 144 MB/h, and at 323 MB growing 27 MB/h
 *   with 2 arenas, at the same frame rate.
 * - `--single-threaded-gc` on a small CPU (≤ 4 cores): V8 keeps 4 garbage-collection helper
 *   threads whatever the core count, and on 2 cores they competed with ONNX Runtime's (pipeline
 *   72 → 79 frames/s with histograms, 51 → 54 with OSNet; event-loop p99 unchanged). Setting it
 *   later with v8.setFlagsFromString crashes V8 at the next collection.
 * libuv's thread pool is not sized any more: the GStreamer binding holds none of its threads while
 * it waits for a camera, so the default 4 serve any number of cameras (UV_THREADPOOL_SIZE is kept
 * when set).
 */
export function missingStartSettings(
  env: NodeJS.ProcessEnv = process.env,
  execArgv: readonly string[] = process.execArgv,
  cores = availableParallelism(),
): StartSettings {
  if (env[MARKER] || env.EDGEVIS_START_SETTINGS_OFF === '1') return { nodeFlags: [], env: {} };
  const nodeFlags = cores <= 4 && !execArgv.includes('--single-threaded-gc') ? ['--single-threaded-gc'] : [];
  const vars: Record<string, string> = env.MALLOC_ARENA_MAX ? {} : { MALLOC_ARENA_MAX: '2' };
  return { nodeFlags, env: vars };
}

/**
 * Starts the CLI again in this very process (execve: same PID, same process group, nothing left
 * behind) when start-only settings are missing, so that a service manager's or a terminal's
 * signals reach exactly one process and nothing can outlive it. It used to run itself as a child
 * process: a group SIGTERM (systemd, `kill -- -PGID`) then reached both, the parent forwarded it,
 * the child took the second as "force" and aborted; a SIGKILL to the parent left the child
 * publishing on the ports. Returns (and the program goes on as it is) when nothing is missing, or
 * with why when it could not start again.
 */
export function applyStartSettings(): string | null {
  const missing = missingStartSettings();
  if (missing.nodeFlags.length === 0 && Object.keys(missing.env).length === 0) {
    delete process.env[MARKER]; // not for the processes this one starts (the RTSP simulator, tests)
    return null;
  }
  return execInPlace([...missing.nodeFlags, ...process.execArgv], { ...process.env, ...missing.env, [MARKER]: '1' });
}
