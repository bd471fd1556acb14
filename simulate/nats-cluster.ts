import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './rtsp-camera.js';

/** Debian's `nats-server` (2.9.10 in Debian 12), installed by `setup.sh --test`. */
export const NATS_SERVER = '/usr/sbin/nats-server';

/** One server of a {@link NatsCluster}: its client URL and process (null while killed). */
export interface NatsClusterServer {
  readonly name: string;
  readonly clientPort: number;
  readonly url: string;
  process: ChildProcess | null;
}

/**
 * A JetStream cluster of `nats-server` processes on 127.0.0.1 (free ports, one temporary store per
 * server) for tests and benchmarks: the fault injection a fleet must survive (SIGKILL a server,
 * start it again on the same store). Each server is its own process; {@link stop} kills every one
 * by its PID, and a teardown that calls it leaves nothing behind.
 *
 * Cluster of 1: a standalone JetStream server (no routes).
 */
export class NatsCluster {
  private constructor(
    readonly servers: readonly NatsClusterServer[],
    private readonly dir: string,
    private readonly routePorts: readonly number[],
    private readonly jetstream: boolean,
  ) {}

  /** The client URLs of every server (what a fleet's `servers` lists). */
  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  /**
   * Starts `size` servers and waits until each accepts clients (at most `timeoutMs`).
   * @param jetstream false: servers without JetStream (to test the error a fleet gives then)
   * @throws Error when nats-server is missing or a server does not listen in time
   */
  static async start(size = 3, { jetstream = true, timeoutMs = 15_000 } = {}): Promise<NatsCluster> {
    if (!existsSync(NATS_SERVER)) throw new Error(`${NATS_SERVER} is missing: run ./setup.sh --test`);
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-nats-'));
    const servers: NatsClusterServer[] = [];
    const routePorts: number[] = [];
    for (let i = 0; i < size; i++) {
      const clientPort = await freePort();
      routePorts.push(await freePort());
      servers.push({ name: `n${i}`, clientPort, url: `nats://127.0.0.1:${clientPort}`, process: null });
    }
    const cluster = new NatsCluster(servers, dir, routePorts, jetstream);
    try {
      for (let i = 0; i < size; i++) cluster.launch(i);
      await Promise.all(servers.map((s) => waitListening(s.clientPort, timeoutMs)));
    } catch (err) {
      cluster.stop();
      throw err;
    }
    return cluster;
  }

  private launch(i: number): void {
    const s = this.servers[i];
    const store = join(this.dir, s.name);
    mkdirSync(store, { recursive: true });
    const routes = this.routePorts.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p}`);
    const conf = [
      `server_name: ${s.name}`,
      `listen: 127.0.0.1:${s.clientPort}`,
      this.jetstream ? `jetstream { store_dir: "${store}", max_memory_store: 64MB, max_file_store: 8GB }` : '',
      this.servers.length > 1
        ? `cluster { name: edgevis-test, listen: 127.0.0.1:${this.routePorts[i]}, routes: [${routes.join(', ')}] }`
        : '',
    ].join('\n');
    const file = join(this.dir, `${s.name}.conf`);
    writeFileSync(file, `${conf}\n`);
    s.process = spawn(NATS_SERVER, ['-c', file], { stdio: 'ignore' });
  }

  /** SIGKILLs server `i` (its store stays); no-op when it is down. */
  kill(i: number): void {
    this.servers[i].process?.kill('SIGKILL');
    this.servers[i].process = null;
  }

  /** Starts server `i` again on its store and waits until it accepts clients. */
  async restart(i: number, timeoutMs = 15_000): Promise<void> {
    if (this.servers[i].process) return;
    this.launch(i);
    await waitListening(this.servers[i].clientPort, timeoutMs);
  }

  /** Kills every server by PID and removes the stores. Idempotent. */
  stop(): void {
    for (let i = 0; i < this.servers.length; i++) this.kill(i);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function waitListening(port: number, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nats-server on 127.0.0.1:${port} did not listen within ${timeoutMs} ms`);
}
