import { performance } from 'node:perf_hooks';
import { Observable, type Subscription } from 'rxjs';
import type { Frame } from '../../models/frame.js';
import type { ConnectionSlots, SlotTicket } from './connection-slots.js';
import { isRetryableSourceError, SourceError } from './source-error.js';

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
export function backoffDelayMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
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
export function superviseLiveSource(connect: () => Observable<Frame>, options: SupervisionOptions, onHealth: (change: SourceHealthChange) => void): Observable<Frame> {
  return new Observable<Frame>((subscriber) => {
    const random = options.random ?? Math.random;
    let inner: Subscription | null = null;
    let watchdog: NodeJS.Timeout | undefined;
    let retryTimer: NodeJS.Timeout | undefined;
    let state: SourceHealth | null = null;
    let attempt = 0, reconnects = 0;
    // Continuity of frame index and media time across connections.
    let last: { frameIndex: number; ptsMs: number; at: number } | null = null;
    let stepMs = 100;
    let offset = { index: 0, pts: 0 };
    let freshConnection = true;
    let slot: SlotTicket | null = null;
    const releaseSlot = () => { slot?.release(); slot = null; };

    // Slow-stall watch: how long the pulls of the current window waited for the source.
    let slowTimer: NodeJS.Timeout | undefined;
    let waitedMs = 0, waits = 0;
    const slowRatio = options.slowStallRatio ?? 0, slowWindowMs = options.slowStallWindowMs ?? 60_000;
    const watchRate = () => {
      clearInterval(slowTimer);
      if (!(slowRatio > 0)) return;
      waitedMs = 0; waits = 0;
      slowTimer = setInterval(() => {
        const meanWaitMs = waits ? waitedMs / waits : 0;
        waitedMs = 0; waits = 0;
        // A camera at its promised rate makes a pull wait at most about one frame interval.
        if (meanWaitMs <= stepMs / slowRatio) return;
        const reason = `frames came every ${meanWaitMs.toFixed(0)} ms on average over ${slowWindowMs / 1000} s, the stream promises one every ${stepMs.toFixed(0)} ms`;
        clearInterval(slowTimer);
        inner?.unsubscribe();
        inner = null;
        report('stalled', reason, 'slow-stream');
        lost(reason, 'slow-stream');
      }, slowWindowMs);
    };

    const report = (next: SourceHealth, reason: string, code?: string) => {
      if (next === state) return;
      state = next;
      onHealth({ state: next, reason, ...(code ? { code } : {}), attempt, reconnects });
    };
    /** Tears the connection down when no frame comes in time: the first frame of a connection gets `connectTimeoutMs`, later ones `stallTimeoutMs`. */
    const armWatchdog = (connecting: boolean) => {
      clearTimeout(watchdog);
      const ms = connecting ? options.connectTimeoutMs : options.stallTimeoutMs;
      const fire = () => {
        // Only time spent waiting for the camera counts: while the consumer is busy, no pull is out.
        const since = options.sourceWaitingSince?.();
        if (since === null) { watchdog = setTimeout(fire, ms); return; }
        if (since !== undefined && performance.now() - since < ms) { watchdog = setTimeout(fire, ms - (performance.now() - since)); return; }
        inner?.unsubscribe();
        inner = null;
        if (connecting) { lost(`no frame within ${ms} ms of connecting`, 'connect-timeout'); return; }
        const reason = `no frame for ${ms} ms`;
        report('stalled', reason, 'stalled');
        lost(reason, 'stalled');
      };
      watchdog = setTimeout(fire, ms);
    };
    const lost = (reason: string, code: string, err?: unknown) => {
      releaseSlot();
      clearTimeout(watchdog);
      clearInterval(slowTimer);
      attempt++;
      if (options.maxReconnects > 0 && attempt > options.maxReconnects) {
        report('failed', `gave up after ${options.maxReconnects} reconnect attempts: ${reason}`, code);
        subscriber.error(err ?? new Error(reason));
        return;
      }
      const delay = backoffDelayMs(attempt, options.backoffInitialMs, options.backoffMaxMs, random);
      report('reconnecting', reason, code);
      retryTimer = setTimeout(connectOnce, delay);
    };
    const connectOnce = () => {
      if (subscriber.closed) return;
      if (state === null) report('connecting', 'opening the source');
      if (options.connectionSlots) {
        const ticket = options.connectionSlots.request(attempt);
        slot = ticket;
        void ticket.granted.then(() => { if (slot === ticket && !subscriber.closed) connectNow(); });
        return;
      }
      connectNow();
    };
    const connectNow = () => {
      freshConnection = true;
      armWatchdog(true);
      inner = connect().subscribe({
        next: (frame) => {
          armWatchdog(false);
          const continued = freshConnection && last !== null;
          if (freshConnection) {
            freshConnection = false;
            releaseSlot(); // connected: the slot goes to the next camera in line
            if (last) {
              reconnects++;
              // Continue after the last delivered frame, advanced by the outage's wall time.
              const gapMs = Math.max(stepMs, performance.now() - last.at);
              offset = { index: last.frameIndex + Math.max(1, Math.round(gapMs / stepMs)) - frame.frameIndex, pts: last.ptsMs + gapMs - frame.ptsMs };
            }
            attempt = 0;
            report('streaming', 'frames arriving');
            watchRate();
          } else if (frame.timing?.sourceWaitMs !== undefined) {
            waitedMs += frame.timing.sourceWaitMs; waits++;
          }
          const out: Frame = { ...frame, frameIndex: frame.frameIndex + offset.index, ptsMs: Math.round((frame.ptsMs + offset.pts) * 1e3) / 1e3 };
          // The frame interval, learnt within a connection (an outage is no frame interval).
          if (last && !continued && out.frameIndex > last.frameIndex) stepMs = (out.ptsMs - last.ptsMs) / (out.frameIndex - last.frameIndex) || stepMs;
          last = { frameIndex: out.frameIndex, ptsMs: out.ptsMs, at: performance.now() };
          subscriber.next(out);
        },
        error: (err: unknown) => {
          inner = null;
          const code = err instanceof SourceError ? err.code : 'unexpected';
          if (!isRetryableSourceError(err)) {
            releaseSlot();
            clearTimeout(watchdog);
            clearInterval(slowTimer);
            report('failed', (err as Error).message, code);
            subscriber.error(err);
            return;
          }
          lost((err as Error).message, code, err);
        },
        complete: () => {
          inner = null;
          lost('the stream ended (the camera disconnected or restarted)', 'stream-ended');
        },
      });
    };
    const requests = options.reconnectRequests?.subscribe((reason) => {
      if (state !== 'streaming' || !inner) return;
      inner.unsubscribe();
      inner = null;
      releaseSlot();
      clearTimeout(watchdog);
      clearInterval(slowTimer);
      report('reconnecting', reason, 'reconfigure');
      connectOnce();
    });
    connectOnce();
    return () => {
      requests?.unsubscribe();
      releaseSlot();
      clearTimeout(watchdog);
      clearInterval(slowTimer);
      clearTimeout(retryTimer);
      inner?.unsubscribe();
    };
  });
}
