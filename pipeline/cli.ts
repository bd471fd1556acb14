#!/usr/bin/env node
// Entry of the `edgevis` command. libuv's thread pool runs GStreamer's blocking appsink pulls and
// bus polls (up to 2 per live camera) beside file work; its default of 4 threads starves a third
// camera. The pool is sized when Node first uses it, which already happens while it loads modules,
// so UV_THREADPOOL_SIZE only counts when it is in the environment at start: without it, edgevis
// runs itself again with it (service units and the Docker image set it and start directly).
// On a small CPU (≤ 4 cores) that run also gets V8's --single-threaded-gc: V8 keeps 4 garbage-
// collection helper threads whatever the core count, and on 2 cores they competed with ONNX
// Runtime's threads (pipeline 72 → 79 frames/s with histograms, 51 → 54 with OSNet, in one
// bench run; event-loop p99 unchanged). The flag can only be given at start.
// The run also gets MALLOC_ARENA_MAX=2 unless set: glibc gives each of the ~50 threads (ONNX Runtime,
// GStreamer, libuv) arenas of its own, which fragment as RTSP reconnects build new pipelines: a
// 12-minute soak with 59 reconnects ended at 373 MB RSS growing 144 MB/h, and at 323 MB growing
// 27 MB/h with 2 arenas, at the same frame rate (glibc reads the variable only at start).
import { spawn } from 'node:child_process';
import { availableParallelism, constants } from 'node:os';

/** libuv threads when the environment says nothing: 2 per camera for about 14 cameras, plus file work. */
const DEFAULT_THREADPOOL_SIZE = '32';
/** V8 flags for the re-run on a small CPU. */
const SMALL_CPU_FLAGS = availableParallelism() <= 4 && !process.execArgv.includes('--single-threaded-gc') ? ['--single-threaded-gc'] : [];

if (process.env.UV_THREADPOOL_SIZE) {
  await import('./cli-program.js');
} else {
  const child = spawn(process.execPath, [...SMALL_CPU_FLAGS, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, UV_THREADPOOL_SIZE: DEFAULT_THREADPOOL_SIZE, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2' },
  });
  // Ctrl-C reaches the child from the terminal itself (same process group): forwarding it would
  // count as a second interrupt and force the exit. Signals sent to this process alone are passed on.
  process.on('SIGINT', () => undefined);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + constants.signals[signal] : 1)));
}
