import type { TrackPublisher } from '../../operators/publish-tracks.js';
import { MESSAGE_SCHEMA_VERSION, type TrackMessage } from '../../operators/wire/track-messages.js';
import type { GapMessage } from '../../operators/wire/message-schema.js';
import type { FleetEngine } from './fleet-engine.js';
import { messageIdOf } from './fleet-names.js';

/** One message waiting for the engine's acknowledgement. */
interface Pending {
  readonly camera: string;
  readonly epoch: number;
  readonly seq: number;
  readonly subject: string;
  readonly data: string;
  readonly msgId: string;
}

/** Messages sent to the engine at once (pipelined on the one connection), then awaited together. */
const BATCH = 256;
/** How long one publish waits for the engine's acknowledgement, ms. */
const ACK_TIMEOUT_MS = 5000;
/** Acknowledgement latencies kept for percentiles. */
const LATENCY_SAMPLES = 20_000;

/**
 * Publishes every message of this node's cameras into the fleet's JetStream stream (snapshots on
 * `<fleet>.tracks.<camera>`, events and states on `<fleet>.events.<camera>`), each with the message
 * id `<camera>:<seq>`, so a publish retried after a lost acknowledgement (a server killed, a leader
 * elected) is stored once. A message leaves the buffer only when the stream acknowledged it; while
 * the engine is unreachable messages wait in order, up to `bufferMessages`. Past that the oldest
 * are dropped, counted, and announced as a `gap` (cause `buffer-overflow`) once the engine is back.
 * Messages of a camera whose lease this node lost are dropped ({@link fence}): the new owner
 * publishes for it now.
 */
export class FleetStreamPublisher implements TrackPublisher {
  readonly name = 'fleet-stream';
  private queue: Pending[] = [];
  private readonly sent = { acknowledged: 0, duplicates: 0, dropped: 0, fenced: 0, retried: 0, gaps: 0 };
  /** Per camera: the sequence numbers dropped for the buffer's bound and not yet announced. */
  private readonly dropped = new Map<string, { epoch: number; fromSeq: number; toSeq: number }>();
  private readonly latencies: number[] = [];
  private pumping = false;
  private closed = false;

  constructor(
    private readonly engine: FleetEngine,
    private readonly bufferMessages: number,
  ) {}

  /** Messages waiting, acknowledged, stored before (duplicates), dropped for the bound, dropped for a lost lease. */
  get counters(): Readonly<Record<string, number>> {
    return { buffered: this.queue.length, ...this.sent };
  }

  /** Recent acknowledgement latencies (send → acknowledged), ms, oldest first. */
  get ackLatencies(): readonly number[] {
    return this.latencies;
  }

  publish(message: TrackMessage, json: string): void {
    if (this.closed) return;
    const names = this.engine.names;
    const subject =
      message.type === 'tracks' ? names.tracksSubject(message.camera) : names.eventsSubject(message.camera);
    this.enqueue({
      camera: message.camera,
      epoch: message.epoch,
      seq: message.seq,
      subject,
      data: json,
      msgId: messageIdOf(message.camera, message.seq),
    });
  }

  /** Publishes a `gap` (a failover or dropped messages) on the camera's events subject. */
  publishGap(gap: GapMessage): void {
    if (this.closed) return;
    this.sent.gaps++;
    this.enqueue({
      camera: gap.camera,
      epoch: gap.epoch,
      seq: 0,
      subject: this.engine.names.eventsSubject(gap.camera),
      data: JSON.stringify(gap),
      msgId: `${gap.camera}:gap:${gap.fromSeq}-${gap.toSeq}`,
    });
  }

  /** Drops the waiting messages of `camera` numbered by lease `epoch` (this node lost that lease). */
  fence(camera: string, epoch: number): void {
    const before = this.queue.length;
    this.queue = this.queue.filter((p) => !(p.camera === camera && p.epoch === epoch));
    this.sent.fenced += before - this.queue.length;
    this.dropped.delete(camera);
  }

  /** Whether the engine takes messages now, for `/readyz`. */
  health(): { ok: boolean; reason?: string } {
    return this.engine.state === 'connected'
      ? { ok: true }
      : { ok: false, reason: `fleet engine ${this.engine.state}; ${this.queue.length} messages buffered` };
  }

  /** Waits up to `ms` for the buffer to drain (a clean stop), then stops sending. Idempotent. */
  async close(ms = 3000): Promise<void> {
    const until = performance.now() + ms;
    while (this.queue.length > 0 && performance.now() < until) await sleep(25);
    this.closed = true;
  }

  private enqueue(p: Pending): void {
    this.queue.push(p);
    if (this.queue.length > this.bufferMessages) {
      const lost = this.queue.shift()!;
      this.sent.dropped++;
      if (lost.seq > 0) {
        const d = this.dropped.get(lost.camera);
        if (d && d.epoch === lost.epoch) d.toSeq = lost.seq;
        else this.dropped.set(lost.camera, { epoch: lost.epoch, fromSeq: lost.seq, toSeq: lost.seq });
      }
    }
    if (!this.pumping) void this.pump();
  }

  /** Sends the buffer in order, batch by batch; failures stay at the front and are retried (same message id). */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.closed) {
        if (this.engine.state !== 'connected') {
          await sleep(100);
          continue;
        }
        this.announceDrops();
        const batch = this.queue.slice(0, BATCH);
        const sentAt = performance.now();
        const results = await Promise.allSettled(
          batch.map((p) => this.engine.js.publish(p.subject, p.data, { msgID: p.msgId, timeout: ACK_TIMEOUT_MS })),
        );
        const done = new Set<Pending>();
        results.forEach((r, i) => {
          if (r.status !== 'fulfilled') return;
          done.add(batch[i]);
          if (r.value.duplicate) this.sent.duplicates++;
          else this.sent.acknowledged++;
        });
        const latency = performance.now() - sentAt;
        for (let i = 0; i < done.size; i++) this.latencies.push(latency);
        if (this.latencies.length > LATENCY_SAMPLES) this.latencies.splice(0, this.latencies.length - LATENCY_SAMPLES);
        this.queue = this.queue.filter((p) => !done.has(p));
        if (done.size < batch.length) {
          this.sent.retried += batch.length - done.size;
          await sleep(250);
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Turns the ranges dropped for the bound into `gap` messages at the front of the buffer. */
  private announceDrops(): void {
    for (const [camera, d] of this.dropped) {
      this.dropped.delete(camera);
      this.sent.gaps++;
      const gap: GapMessage = {
        schema: MESSAGE_SCHEMA_VERSION,
        type: 'gap',
        camera,
        epoch: d.epoch,
        fromSeq: d.fromSeq,
        toSeq: d.toSeq,
        restarted: false,
        cause: 'buffer-overflow',
        reason: `the fleet engine was unreachable longer than this node could buffer (fleet.bufferMessages): messages ${d.fromSeq}-${d.toSeq} were dropped`,
      };
      this.queue.unshift({
        camera,
        epoch: d.epoch,
        seq: 0,
        subject: this.engine.names.eventsSubject(camera),
        data: JSON.stringify(gap),
        msgId: `${camera}:gap:${d.fromSeq}-${d.toSeq}`,
      });
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
