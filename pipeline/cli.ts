#!/usr/bin/env node
// Entry of the `edgevis` command. libuv's thread pool runs GStreamer's blocking appsink pulls and
// bus polls (up to 2 per live camera) beside file work; its default of 4 threads starves a third
// camera. The pool is sized when Node first uses it, which already happens while it loads modules,
// so UV_THREADPOOL_SIZE only counts when it is in the environment at start: without it, edgevis
// runs itself again with it (service units and the Docker image set it and start directly).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

/** libuv threads when the environment says nothing: 2 per camera for about 14 cameras, plus file work. */
const DEFAULT_THREADPOOL_SIZE = '32';

if (process.env.UV_THREADPOOL_SIZE) {
  await import('./cli-program.js');
} else {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit', env: { ...process.env, UV_THREADPOOL_SIZE: DEFAULT_THREADPOOL_SIZE },
  });
  // Ctrl-C reaches the child from the terminal itself (same process group): forwarding it would
  // count as a second interrupt and force the exit. Signals sent to this process alone are passed on.
  process.on('SIGINT', () => undefined);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + constants.signals[signal] : 1)));
}
