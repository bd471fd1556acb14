import { randomBytes } from 'node:crypto';
import type { KV } from '@nats-io/kv';
import type { Logger } from '../process/logger.js';

/** What a lease holds (JSON in the leases bucket under the camera's id). */
export interface LeaseValue {
  /** The owner's node id. */
  readonly node: string;
  /**
   * The owner's epoch for this camera, ms since the Unix epoch: its messages' `epoch`, their `seq`
   * = epoch × 1000 + n. Strictly above the previous owner's, whatever the clocks say, so a
   * subscriber's "drop what is not above the last seq" also drops a stale owner's messages.
   */
  readonly epoch: number;
  /** Changes with every refresh: tells a refresh that timed out but was stored from one that was lost. */
  readonly nonce: string;
  /** The owner's wall clock at the refresh, ms since the Unix epoch (only to report clock skew). */
  readonly at: number;
}

/** A lease as this node last saw it. */
export interface ObservedLease {
  readonly value: LeaseValue;
  /** KV revision of that value (the compare-and-set token). */
  readonly revision: number;
  /** performance.now() when this node saw it, ms (liveness is judged on this node's monotonic clock). */
  readonly seenAt: number;
}

/**
 * Whether this node's writes reach the engine. While they fail (an election, a partition) nobody
 * can be judged dead from silence: {@link CameraLeases.expired} counts silence only from when the
 * writes came back, so an engine stall does not make every node take every camera at once.
 */
export class WriteHealth {
  private failing = false;
  /** performance.now() since when writes succeed again, ms. */
  okSince = performance.now();

  succeeded(now = performance.now()): void {
    if (this.failing) this.okSince = now;
    this.failing = false;
  }
  failed(): void {
    this.failing = true;
  }
  get ok(): boolean {
    return !this.failing;
  }
}

/** What a successful claim gives: the lease's epoch and who held the camera before (null: nobody). */
export interface Claim {
  readonly epoch: number;
  readonly previous: LeaseValue | null;
}

/**
 * The camera leases of a fleet in a JetStream KV bucket (one key per camera), as DeepStream leaves
 * to the operator and etcd/Consul-style leader leases do it: a claim and every refresh are a
 * compare-and-set on the key's revision, so exactly one node holds a camera at any revision. The
 * owner refreshes every `heartbeatMs`; another node may take a camera whose lease it has not seen
 * change for `leaseMs` (on its own monotonic clock: the clocks of the nodes are never compared).
 * The bucket has no TTL: nats-server 2.9 expires keys silently and per bucket, which would drop
 * every lease at once after an engine stall.
 */
export class CameraLeases {
  /** Every lease seen (a deleted key is absent: the camera is free). */
  readonly observed = new Map<string, ObservedLease>();
  /** The leases this node holds: camera → revision, epoch, nonce of the last write. */
  private readonly held = new Map<string, { revision: number; epoch: number; nonce: string; tried: string }>();
  /** Called when a held lease turns out to be someone else's (this node was too slow): stop the camera at once. */
  onLost: (camera: string, by: string | null) => void = () => undefined;
  /** Refresh round-trip times, ms (for metrics). */
  onRefreshed: (ms: number) => void = () => undefined;
  /** Largest difference seen between a refresh's wall clock and this node's, ms (a node whose clock is off). */
  clockSkewMs = 0;
  private watching: { stop(): void } | null = null;

  constructor(
    private readonly kv: KV,
    private readonly nodeId: string,
    private readonly leaseMs: number,
    private readonly writes: WriteHealth,
    private readonly log: Logger,
  ) {}

  /** Starts following the bucket (current values first, then every change). */
  async watch(): Promise<void> {
    const watcher = await this.kv.watch({ key: '>' });
    this.watching = watcher;
    void (async () => {
      for await (const e of watcher) {
        if (e.operation !== 'PUT') {
          this.observed.delete(e.key);
          if (this.held.get(e.key)?.revision !== undefined && e.revision > this.held.get(e.key)!.revision) {
            // Deleted by someone else (an operator): the camera is free; this node lost it.
            this.held.delete(e.key);
            this.onLost(e.key, null);
          }
          continue;
        }
        let value: LeaseValue;
        try {
          value = e.json<LeaseValue>();
        } catch {
          continue;
        }
        this.observed.set(e.key, { value, revision: e.revision, seenAt: performance.now() });
        this.clockSkewMs = Math.max(this.clockSkewMs * 0.99, Math.abs(Date.now() - value.at));
        const mine = this.held.get(e.key);
        if (mine && e.revision > mine.revision && value.node !== this.nodeId) {
          this.held.delete(e.key);
          this.onLost(e.key, value.node);
        }
      }
    })();
  }

  /** The cameras this node holds. */
  get cameras(): string[] {
    return [...this.held.keys()];
  }

  /** The epoch of a camera this node holds. */
  epochOf(camera: string): number | undefined {
    return this.held.get(camera)?.epoch;
  }

  /**
   * Whether `camera` may be claimed: no lease, or a lease of another node that has not changed for
   * `leaseMs`, counted from when this node's own writes last came back (see {@link WriteHealth}).
   */
  claimable(camera: string, now = performance.now()): boolean {
    if (this.held.has(camera)) return false;
    const o = this.observed.get(camera);
    if (!o) return true;
    if (!this.writes.ok) return false;
    return now - Math.max(o.seenAt, this.writes.okSince) > this.leaseMs;
  }

  /**
   * Claims a camera by compare-and-set against the lease last seen (create when there was none).
   * @returns the claim, or null when another node was first (or the engine did not answer)
   */
  async claim(camera: string): Promise<Claim | null> {
    const seen = this.observed.get(camera);
    const previous = seen?.value ?? null;
    const epoch = Math.max(Date.now(), (previous?.epoch ?? 0) + 1);
    const nonce = randomBytes(6).toString('hex');
    const value: LeaseValue = { node: this.nodeId, epoch, nonce, at: Date.now() };
    try {
      const revision = seen
        ? await this.kv.update(camera, JSON.stringify(value), seen.revision)
        : await this.kv.create(camera, JSON.stringify(value));
      this.writes.succeeded();
      this.held.set(camera, { revision, epoch, nonce, tried: nonce });
      return { epoch, previous };
    } catch (err) {
      if (!isWrongRevision(err)) {
        this.writes.failed();
        this.log.debug({ camera, err: (err as Error).message }, 'lease claim failed');
      }
      return null;
    }
  }

  /** Refreshes every held lease (compare-and-set on its revision); a lease found taken is reported through `onLost`. */
  async refresh(): Promise<void> {
    await Promise.all(
      [...this.held.entries()].map(async ([camera, mine]) => {
        const nonce = randomBytes(6).toString('hex');
        mine.tried = nonce;
        const value: LeaseValue = { node: this.nodeId, epoch: mine.epoch, nonce, at: Date.now() };
        const started = performance.now();
        try {
          mine.revision = await this.kv.update(camera, JSON.stringify(value), mine.revision);
          mine.nonce = nonce;
          this.writes.succeeded();
          this.onRefreshed(performance.now() - started);
        } catch (err) {
          if (!isWrongRevision(err)) {
            // Timed out or unreachable: it may still have been stored; the next round tells.
            this.writes.failed();
            return;
          }
          await this.reconcile(camera, mine);
        }
      }),
    );
  }

  /** A refresh was refused: the lease is still ours when an earlier refresh that timed out was stored after all (its nonce). */
  private async reconcile(camera: string, mine: { revision: number; epoch: number; nonce: string; tried: string }) {
    const entry = await this.kv.get(camera).catch(() => undefined);
    if (entry === undefined) return; // the engine did not answer: try again next round
    const value = entry && entry.operation === 'PUT' ? entry.json<LeaseValue>() : null;
    if (value && value.node === this.nodeId && value.epoch === mine.epoch) {
      mine.revision = entry!.revision;
      return;
    }
    if (this.held.get(camera) !== mine) return;
    this.held.delete(camera);
    this.log.warn({ camera, by: value?.node ?? null }, 'lost the lease of a camera (refresh refused)');
    this.onLost(camera, value?.node ?? null);
  }

  /** Gives a camera up (graceful hand-over): the key is deleted, so the next owner need not wait for the lease to run out. */
  async release(camera: string): Promise<void> {
    const mine = this.held.get(camera);
    if (!mine) return;
    this.held.delete(camera);
    await this.kv.delete(camera, { previousSeq: mine.revision }).catch((err: Error) => {
      this.log.debug({ camera, err: err.message }, 'lease release failed (it runs out instead)');
    });
  }

  /** Stops following the bucket. */
  stop(): void {
    this.watching?.stop();
  }
}

/** A compare-and-set refused because the key changed ("wrong last sequence"). */
function isWrongRevision(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test((err as Error).message);
}
