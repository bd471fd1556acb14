import { availableParallelism } from 'node:os';
import type { KV } from '@nats-io/kv';
import type { NodeLoad } from './camera-assignment.js';
import type { WriteHealth } from './camera-leases.js';

/** What a node says of itself (JSON in the nodes bucket under its id). */
export interface PresenceValue extends NodeLoad {
  /** Its HTTP edge (viewer, media, camera API), e.g. http://10.0.0.5:8765, or null without one. */
  readonly http: string | null;
  /** Its wall clock, ms since the Unix epoch (for reports only). */
  readonly at: number;
}

/**
 * The nodes of a fleet: each node writes its presence (load, cameras, HTTP address) every
 * heartbeat and follows everyone's; a node not seen for `leaseMs` (this node's monotonic clock)
 * is not live. Load is the process's CPU over the last few seconds as a fraction of its machine
 * (exponentially smoothed, time constant ~5 s).
 */
export class NodePresence {
  private readonly seen = new Map<string, { value: PresenceValue; seenAt: number }>();
  private watching: { stop(): void } | null = null;
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();
  private smoothedLoad = 0;
  private readonly cores = availableParallelism();

  constructor(
    private readonly kv: KV,
    private readonly nodeId: string,
    private readonly leaseMs: number,
    private readonly writes: WriteHealth,
  ) {}

  /** Starts following the bucket. */
  async watch(): Promise<void> {
    const watcher = await this.kv.watch({ key: '>' });
    this.watching = watcher;
    void (async () => {
      for await (const e of watcher) {
        if (e.operation !== 'PUT') this.seen.delete(e.key);
        else
          try {
            this.seen.set(e.key, { value: e.json<PresenceValue>(), seenAt: performance.now() });
          } catch {
            /* not a presence: ignored */
          }
      }
    })();
  }

  /** This process's smoothed CPU load, fraction of the machine. */
  measureLoad(now = performance.now()): number {
    const cpu = process.cpuUsage(this.lastCpu);
    const dt = now - this.lastAt;
    if (dt > 50) {
      const load = (cpu.user + cpu.system) / 1000 / dt / this.cores;
      const a = 1 - Math.exp(-dt / 5000);
      this.smoothedLoad += a * (load - this.smoothedLoad);
      this.lastCpu = process.cpuUsage();
      this.lastAt = now;
    }
    return this.smoothedLoad;
  }

  /** Writes this node's presence; a failure is counted in `writes`. */
  async beat(cameras: number, http: string | null): Promise<void> {
    const value: PresenceValue = { node: this.nodeId, load: this.measureLoad(), cameras, http, at: Date.now() };
    try {
      await this.kv.put(this.nodeId, JSON.stringify(value));
      this.writes.succeeded();
    } catch {
      this.writes.failed();
    }
  }

  /** The live nodes (this one included once it has written), as last seen. */
  live(now = performance.now()): PresenceValue[] {
    return [...this.seen.values()].filter((s) => now - s.seenAt <= this.leaseMs).map((s) => s.value);
  }

  /** The HTTP address a node last gave, or null. */
  httpOf(node: string): string | null {
    return this.seen.get(node)?.value.http ?? null;
  }

  /** Leaves the fleet's node list (graceful stop). */
  async leave(): Promise<void> {
    this.watching?.stop();
    await this.kv.delete(this.nodeId).catch(() => undefined);
  }
}
