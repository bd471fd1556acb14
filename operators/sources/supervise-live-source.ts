import { performance } from 'node:perf_hooks';
import { Observable, type Subscriber, type Subscription } from 'rxjs';
import type { Frame } from '../../models/frame.js';
import type { ConnectionSlots, SlotTicket } from './connection-slots.js';
import { isRetryableSourceError, SourceError } from './source-error.js';
import { continuationOffset, learnStepMs, type LastFrame } from './source-continuity.js';
import { slowStreamReason, watchdogVerdict } from './stall-watch.js';

/**
 * Health of a supervised live source (DeepStream's RTSP reconnect, Frigate's camera watchdog):
 * - `connecting`: the first connection is being made;
 * - `streaming`: frames arrive;
 * - `stalled`: no frame for `stallTimeoutMs` while streaming, the session still open; it is torn down;
 * - `reconnecting`: waiting (backoff) or trying again after a loss (error, end of stream, stall);
 * - `failed`: a permanent error, or the reconnect budget ran out; the source errors.
 */
export type SourceHealth = 'connecting' | 'streaming' | 'stalled' | 'reconnecting' | 'failed';

/** One change of health, with why. */
export interface SourceHealthChange {
  readonly state: SourceHealth;
  /** Human-readable reason (the error message, "no frame for 5000 ms", …). */
  readonly reason: string;
  /** Machine-readable cause: a `SourceErrorCode`, `stream-ended`, `connect-timeout`, `stalled` or `slow-stream`; absent for `connecting`/`streaming`. */
  readonly code?: string;
  /** Reconnect attempts since the source last streamed. */
  readonly attempt: number;
  /** Times the source came back after a loss, since the supervision started. */
  readonly reconnects: number;
}

/** How a live source is kept alive. */
export interface SupervisionOptions {
  /** No frame for this long (ms) while streaming → stalled, torn down and reconnected. */
  readonly stallTimeoutMs: number;
  /** A new connection must deliver its first frame within this long (ms; RTSP set-up and decoder preroll), else the attempt failed. */
  readonly connectTimeoutMs: number;
  /** First reconnect delay, ms; doubles per failed attempt. */
  readonly backoffInitialMs: number;
  /** Largest reconnect delay, ms. */
  readonly backoffMaxMs: number;
  /** Reconnect attempts in a row before giving up (0 = never give up). */
  readonly maxReconnects: number;
  /**
   * Slow stall: while streaming, the source's frames came at less than this fraction of the rate
   * its stream promises, over `slowStallWindowMs`, measured by how long pulls waited for the
   * source (`frame.timing.sourceWaitMs`: a busy consumer never counts against the camera) →
   * stalled, torn down and reconnected (0 = off, for cameras with a variable frame rate).
   */
  readonly slowStallRatio?: number;
  /** Window over which the slow-stall rate is measured, ms. */
  readonly slowStallWindowMs?: number;
  /**
   * Since when a pull waits for the source (performance.now(), ms), or null while none does (the
   * consumer is busy and the source keeps only its newest frame): the watchdogs count only time
   * spent waiting for the camera. Absent: every moment without a frame counts.
   */
  readonly sourceWaitingSince?: () => number | null | undefined;
  /** Random source in [0, 1) for the jitter (tests pass a fixed one). */
  readonly random?: () => number;
  /**
   * Process-wide bound on cameras connecting at once: each attempt waits for a slot and holds it
   * until its first frame or its failure ({@link ConnectionSlots}); the connect timeout starts
   * once the slot is held. Absent: no bound.
   */
  readonly connectionSlots?: ConnectionSlots;
  /**
   * Asks for a new connection now, with the reason (e.g. a recording that failed can be written
   * again, and only a new connection builds the recording branch): a streaming connection is torn
   * down and made again at once (`reconnecting` with code `reconfigure`, then `streaming`); a
   * request while not streaming is left to the reconnect already under way.
   */
  readonly reconnectRequests?: Observable<string>;
}

/**
 * Delay before reconnect attempt `attempt` (1-based): exponential backoff, capped, with ±20 %
 * jitter so that many cameras that failed together do not reconnect in lockstep (AWS
 * architecture blog, "Exponential Backoff and Jitter", 2015), in ms.
 */
export function backoffDelayMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * Keeps a live source alive: subscribes `connect()` and, whenever the connection errors with a
 * retryable code, ends (a dropped RTSP session arrives as end of stream: for a live camera that
 * is a disconnect, never the end of the stream), delivers no first frame within
 * `connectTimeoutMs`, or stalls (no frame for `stallTimeoutMs` while streaming), tears it down
 * and connects again after an exponential backoff, forever unless `maxReconnects` is set. A slow
 * stall (pulls waiting far longer for the camera than its frame rate promises, over a long
 * window) is handled like a stall, with code `slow-stream`.
 * Each change of health is reported once through `onHealth` (repeated failed attempts while
 * reconnecting are no new change).
 *
 * Frame indices and media time stay monotonic across reconnects: the first frame of a new
 * connection continues from the last frame delivered, advanced by the wall time of the outage
 * (so a tracker sees the outage as elapsed media time and ends tracks that were lost for longer
 * than its limit).
 *
 * Completes never on its own; errors with the last error once it gives up or on a permanent error.
 */
export function superviseLiveSource(
  connect: () => Observable<Frame>,
  options: SupervisionOptions,
  onHealth: (change: SourceHealthChange) => void,
): Observable<Frame> {
  return new Observable<Frame>((subscriber) => {
    const supervision = new Supervision(connect, options, onHealth, subscriber);
    supervision.start();
    return () => supervision.stop();
  });
}

/** One subscription's supervision: the current connection, its watchdogs, the reconnect timer and the continuity of frames. */
class Supervision {
  private inner: Subscription | null = null;
  private watchdog: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private slowTimer: NodeJS.Timeout | undefined;
  private requests: Subscription | undefined;
  private state: SourceHealth | null = null;
  private attempt = 0;
  private reconnects = 0;
  /** Continuity of frame index and media time across connections. */
  private last: LastFrame | null = null;
  private stepMs = 100;
  private offset = { index: 0, pts: 0 };
  private freshConnection = true;
  private slot: SlotTicket | null = null;
  /** The slow-stall watch's window: how long its pulls waited for the source. */
  private waitedMs = 0;
  private waits = 0;
  private readonly random: () => number;

  constructor(
    private readonly connect: () => Observable<Frame>,
    private readonly options: SupervisionOptions,
    private readonly onHealth: (change: SourceHealthChange) => void,
    private readonly subscriber: Subscriber<Frame>,
  ) {
    this.random = options.random ?? Math.random;
  }

  start(): void {
    this.requests = this.options.reconnectRequests?.subscribe((reason) => this.reconnectNow(reason));
    this.connectOnce();
  }

  stop(): void {
    this.requests?.unsubscribe();
    this.releaseSlot();
    this.clearWatches();
    clearTimeout(this.retryTimer);
    this.inner?.unsubscribe();
  }

  private report(next: SourceHealth, reason: string, code?: string): void {
    if (next === this.state) return;
    this.state = next;
    this.onHealth({
      state: next,
      reason,
      ...(code ? { code } : {}),
      attempt: this.attempt,
      reconnects: this.reconnects,
    });
  }

  private releaseSlot(): void {
    this.slot?.release();
    this.slot = null;
  }

  private clearWatches(): void {
    clearTimeout(this.watchdog);
    clearInterval(this.slowTimer);
  }

  /** Tears the current connection down (it is no longer wanted). */
  private dropConnection(): void {
    this.inner?.unsubscribe();
    this.inner = null;
  }

  /** A reconnect asked for from outside: a streaming connection is made again at once; otherwise the reconnect under way will do. */
  private reconnectNow(reason: string): void {
    if (this.state !== 'streaming' || !this.inner) return;
    this.dropConnection();
    this.releaseSlot();
    this.clearWatches();
    this.report('reconnecting', reason, 'reconfigure');
    this.connectOnce();
  }

  /** Tears the connection down when no frame comes in time: the first frame of a connection gets `connectTimeoutMs`, later ones `stallTimeoutMs`. */
  private armWatchdog(connecting: boolean): void {
    clearTimeout(this.watchdog);
    const ms = connecting ? this.options.connectTimeoutMs : this.options.stallTimeoutMs;
    const fire = () => {
      const verdict = watchdogVerdict(this.options.sourceWaitingSince?.(), performance.now(), ms);
      if (verdict !== 'stall') {
        this.watchdog = setTimeout(fire, verdict.recheckInMs);
        return;
      }
      this.dropConnection();
      if (connecting) {
        this.lost(`no frame within ${ms} ms of connecting`, 'connect-timeout');
        return;
      }
      const reason = `no frame for ${ms} ms`;
      this.report('stalled', reason, 'stalled');
      this.lost(reason, 'stalled');
    };
    this.watchdog = setTimeout(fire, ms);
  }

  /** Slow-stall watch: every window, the mean wait of its pulls against the promised frame interval. */
  private watchRate(): void {
    clearInterval(this.slowTimer);
    const ratio = this.options.slowStallRatio ?? 0,
      windowMs = this.options.slowStallWindowMs ?? 60_000;
    if (!(ratio > 0)) return;
    this.waitedMs = 0;
    this.waits = 0;
    this.slowTimer = setInterval(() => {
      const reason = slowStreamReason(this.waits ? this.waitedMs / this.waits : 0, this.stepMs, ratio, windowMs);
      this.waitedMs = 0;
      this.waits = 0;
      if (!reason) return;
      clearInterval(this.slowTimer);
      this.dropConnection();
      this.report('stalled', reason, 'slow-stream');
      this.lost(reason, 'slow-stream');
    }, windowMs);
  }

  /** The connection is gone: give up past `maxReconnects`, else connect again after the backoff. */
  private lost(reason: string, code: string, err?: unknown): void {
    this.releaseSlot();
    this.clearWatches();
    this.attempt++;
    const { maxReconnects } = this.options;
    if (maxReconnects > 0 && this.attempt > maxReconnects) {
      this.report('failed', `gave up after ${maxReconnects} reconnect attempts: ${reason}`, code);
      this.subscriber.error(err ?? new Error(reason));
      return;
    }
    const delay = backoffDelayMs(this.attempt, this.options.backoffInitialMs, this.options.backoffMaxMs, this.random);
    this.report('reconnecting', reason, code);
    this.retryTimer = setTimeout(() => this.connectOnce(), delay);
  }

  private connectOnce(): void {
    if (this.subscriber.closed) return;
    if (this.state === null) this.report('connecting', 'opening the source');
    const slots = this.options.connectionSlots;
    if (!slots) {
      this.connectNow();
      return;
    }
    const ticket = slots.request(this.attempt);
    this.slot = ticket;
    void ticket.granted.then(() => {
      if (this.slot === ticket && !this.subscriber.closed) this.connectNow();
    });
  }

  private connectNow(): void {
    this.freshConnection = true;
    this.armWatchdog(true);
    this.inner = this.connect().subscribe({
      next: (frame) => this.onFrame(frame),
      error: (err: unknown) => this.onError(err),
      complete: () => {
        this.inner = null;
        this.lost('the stream ended (the camera disconnected or restarted)', 'stream-ended');
      },
    });
  }

  private onFrame(frame: Frame): void {
    this.armWatchdog(false);
    const continued = this.freshConnection && this.last !== null;
    if (this.freshConnection) this.connected(frame);
    else if (frame.timing?.sourceWaitMs !== undefined) {
      this.waitedMs += frame.timing.sourceWaitMs;
      this.waits++;
    }
    const out: Frame = {
      ...frame,
      frameIndex: frame.frameIndex + this.offset.index,
      ptsMs: Math.round((frame.ptsMs + this.offset.pts) * 1e3) / 1e3,
    };
    this.stepMs = learnStepMs(this.last, out, !continued, this.stepMs);
    this.last = { frameIndex: out.frameIndex, ptsMs: out.ptsMs, at: performance.now() };
    this.subscriber.next(out);
  }

  /** A connection's first frame: the slot goes to the next camera in line, and its frames continue the ones before. */
  private connected(first: Frame): void {
    this.freshConnection = false;
    this.releaseSlot();
    if (this.last) {
      this.reconnects++;
      this.offset = continuationOffset(this.last, first, this.stepMs, performance.now());
    }
    this.attempt = 0;
    this.report('streaming', 'frames arriving');
    this.watchRate();
  }

  private onError(err: unknown): void {
    this.inner = null;
    const code = err instanceof SourceError ? err.code : 'unexpected';
    if (isRetryableSourceError(err)) {
      this.lost((err as Error).message, code, err);
      return;
    }
    this.releaseSlot();
    this.clearWatches();
    this.report('failed', (err as Error).message, code);
    this.subscriber.error(err);
  }
}
