import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import mqtt from 'mqtt';
import type { TrackMessage } from '../../operators/wire/track-messages.js';
import { settle } from './subscribers.js';

export const CLI = resolve('dist/pipeline/cli.js');

/** A started `edgevis` CLI in its own process group (as systemd, Docker or a terminal start it). */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout and stderr so far. */
  readonly out: () => string;
  readonly err: () => string;
  /** Resolves with the exit code (or the signal's name) and when, performance.now() ms. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Waits up to `ms` for a line matching `pattern` on stdout; returns the match or null. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray | null>;
  /** Signals the whole process group (kill -- -PGID); nothing when the group is gone already. */
  signalGroup(signal: NodeJS.Signals): void;
}

/** Writes a config file into a new temporary folder and returns its path. */
export function writeConfig(lines: readonly string[], prefix = 'edgevis-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'cameras.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/**
 * Starts `node dist/pipeline/cli.js <args>` as the leader of a new process group, collecting its
 * output. `teardown` is given a function that SIGKILLs the group if it is still there.
 */
export function startCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  teardown: (fn: () => void) => void,
): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
  let out = '',
    err = '';
  child.stdout!.on('data', (d) => {
    out += String(d);
  });
  child.stderr!.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal, at: performance.now() })),
  );
  const pid = child.pid!;
  teardown(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  return {
    child,
    pid,
    out: () => out,
    err: () => err,
    exited,
    async waitFor(pattern, ms = 60_000) {
      await settle(() => pattern.test(out) || child.exitCode !== null, ms);
      return out.match(pattern);
    },
    signalGroup(signal) {
      try {
        process.kill(-pid, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      } // already gone: a fast stop
    },
  };
}

/** Whether any process of group `pgid` is still alive. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A real MQTT subscriber on `<prefix>/#` that keeps every message, statuses included, with its topic and whether it came retained. */
export async function mqttRecorder(
  url: string,
  topic = 'edgevis/#',
): Promise<{
  messages: { topic: string; payload: string; retain: boolean }[];
  json: () => TrackMessage[];
  close: () => Promise<void>;
}> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
  const messages: { topic: string; payload: string; retain: boolean }[] = [];
  client.on('message', (t, payload, packet) => {
    messages.push({ topic: t, payload: String(payload), retain: packet.retain });
  });
  await client.subscribeAsync(topic, { qos: 1 });
  return {
    messages,
    json: () => messages.flatMap((m) => (m.payload.startsWith('{') ? [JSON.parse(m.payload) as TrackMessage] : [])),
    close: async () => {
      await client.endAsync(true);
    },
  };
}

/** `promise`'s value, or null when it does not settle within `ms` (the timer never keeps the process alive). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<null>((r) => {
      timer = setTimeout(() => r(null), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
