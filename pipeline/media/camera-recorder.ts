import { accessSync, constants, renameSync, statfsSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Subject } from 'rxjs';
import type { RecordingTarget } from '../../operators/sources/source-spec.js';
import type { Logger } from '../process/logger.js';
import { makeFolders } from '../../config/make-folders.js';
import { appendToIndex, compactIndex, readIndex, type SegmentEntry } from './media-index.js';
import { listCameraMedia, retentionVictims, type MediaFile } from './media-retention.js';

/** A camera's recording settings (config `cameras[].record`). */
export interface RecordingSettings {
  readonly enabled: boolean;
  /** Segment length, s (a segment ends at the first keyframe after it). */
  readonly segmentSeconds: number;
  /** Largest size of the camera's folder (segments, clips, snapshots), bytes (oldest files deleted first). */
  readonly maxBytes: number;
  /** Files of the folder older than this are deleted, hours (0 = no age limit). */
  readonly maxAgeHours: number;
  /**
   * A pre-roll buffer rather than a recording (clips without `record`): finished segments older than
   * this are deleted, s, unless a clip being made still needs them ({@link CameraRecorder.pin}).
   */
  readonly keepSeconds?: number;
}

/** Where a camera's recording stands, for its status, `/readyz` and metrics. */
export interface RecordingState {
  /** `recording`; `off` (not enabled); `error` (writing failed: `reason`; retried with backoff, {@link retryDelayMs}). */
  readonly state: 'recording' | 'off' | 'error';
  readonly reason?: string;
}

/**
 * How long a recording that failed waits before it is tried again, ms: 5 s after the first failure,
 * doubling while it keeps failing, at most a minute; the streak ends once a segment is written.
 * @param failures failures in a row (1 = the first)
 */
export function retryDelayMs(failures: number): number {
  return Math.min(60_000, 5_000 * 2 ** Math.max(0, failures - 1));
}
/** How often the folder is held to its quota and age (the open segment grows), ms. */
const RETENTION_INTERVAL_MS = 5_000;
/**
 * How often the folder is listed again from disk, ms: in between, retention works from its own list
 * (files it was told about, the open segment stat'ed), so a folder of 100k snapshots is not stat'ed
 * every 5 s. A listing also picks up what changed behind edgevis's back.
 */
const RESCAN_MS = 10 * 60_000;

/**
 * One camera's recording: the segment files the camera's connections write (`RecordingTarget`,
 * GStreamer's splitmuxsink beside the decoder), their index, and their retention.
 *
 * - Files: `<dir>/<camera>-<index>.mkv` while written (playable if the process dies), renamed
 *   when finished to `<camera>-<UTC start, yyyymmddThhmmssZ>-<index>.mkv`; numbers continue across
 *   reconnects and restarts. `index.jsonl` gets one line per finished segment (file, start, end,
 *   bytes), so a time range maps to files ({@link segmentsBetween}).
 * - Retention: after every segment and every 5 s, the oldest files of the camera's folder (segments,
 *   event clips, snapshots) are deleted until it (the open segment included) fits `maxBytes`, and
 *   files older than `maxAgeHours` go. A recorder with recording off (`enabled: false`: a camera
 *   with snapshots only) does only this.
 * - Failures: a folder that cannot be written or a disk without room for two segments is found
 *   before the connection is built (no recording then); a write that fails while recording ends the
 *   connection, which is rebuilt without recording; a segment whose folder was deleted under it is
 *   found by the retention check (5 s). Either way the state says why and the camera's inference
 *   goes on. The recording heals by itself: after {@link retryDelayMs} (5 s, then up to a minute) the
 *   folder is checked again and, once it can be written, the camera's connection is made again
 *   with its recording branch ({@link reconnectRequests}).
 */
export class CameraRecorder {
  private failure: { reason: string; at: number; retryAt: number } | null = null;
  /** Failures since a segment was last written (the retry backoff's step). */
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /**
   * Asks the camera's connection to be made again (the recording can be written again: only a new
   * connection builds the recording branch); the camera graph's supervisor listens.
   */
  readonly reconnectRequests = new Subject<string>();
  private nextIndex: number;
  /**
   * The segments being written (path → wall-clock ms it opened), oldest first: usually one; two for
   * a moment when the camera's connection is made again (the old one finishes its last segment
   * while the new one starts its first).
   */
  private readonly opens = new Map<string, number>();
  /** Clips being made need the segments from these wall-clock times (ms) on. */
  private readonly pins = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  /** The folder's finished files, oldest first (null: list the folder at the next retention), and when it was listed. */
  private media: MediaFile[] | null = null;
  private listedAt = 0;
  /** What was written and deleted, for metrics. */
  readonly counters = { bytesWritten: 0, segments: 0, deletedByQuota: 0, deletedByAge: 0, writeErrors: 0 };

  constructor(
    readonly cameraId: string,
    readonly dir: string,
    readonly settings: RecordingSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.nextIndex = this.highestIndex() + 1;
    this.timer = setInterval(() => this.enforceRetention(), RETENTION_INTERVAL_MS).unref();
  }

  /** Where the recording stands. */
  get state(): RecordingState {
    if (!this.settings.enabled) return { state: 'off' };
    return this.failure ? { state: 'error', reason: this.failure.reason } : { state: 'recording' };
  }

  /**
   * What the camera's next connection records into, or null: recording off, or failed and not yet
   * due for a retry, or the folder cannot take it now (then the state says why).
   */
  target(): RecordingTarget | null {
    if (!this.settings.enabled) return null;
    if (this.failure && this.now() < this.failure.retryAt) return null;
    const problem = this.preflight();
    if (problem) {
      this.fail(problem);
      return null;
    }
    if (this.failure)
      this.log.info({ camera: this.cameraId }, `camera '${this.cameraId}' recording again into ${this.dir}`);
    this.failure = null;
    clearTimeout(this.retryTimer);
    // Wall-clock time at this connection's running time 0 (its pipeline starts right after this):
    // each connection keeps its own, as the last one's segment can close after the next one started.
    const startedAt = this.now();
    return {
      location: join(this.dir, `${this.cameraId}-%06d.mkv`),
      startIndex: this.nextIndex,
      segmentMs: this.settings.segmentSeconds * 1000,
      // Segment times from the pipeline's running time (messages can reach this thread in bursts).
      onFragment: (kind, file, runningTimeMs) => {
        const at = Number.isFinite(runningTimeMs) ? startedAt + runningTimeMs : this.now();
        if (kind === 'opened') this.opened(file, at);
        else this.closed(file, at);
      },
      onError: (reason) => this.fail(`writing ${this.open?.file ?? this.dir} failed: ${reason}`),
    };
  }

  /** The finished segments that overlap [from, to] (ms since the Unix epoch), oldest first. */
  segmentsBetween(from: number, to: number): SegmentEntry[] {
    return this.index().filter((s) => Date.parse(s.end) >= from && Date.parse(s.start) <= to);
  }

  /** Every finished segment still on disk, oldest first. */
  index(): SegmentEntry[] {
    return readIndex<SegmentEntry>(this.dir);
  }

  /** Keeps the segments from `from` (wall-clock ms) on while a clip needs them (null releases `owner`'s pin). */
  pin(owner: string, from: number | null): void {
    if (from === null) this.pins.delete(owner);
    else this.pins.set(owner, from);
  }

  /**
   * Bytes of the segments that hold anything from `from` (wall-clock ms) on, the one being written
   * included: what a clip gathered since then pins.
   */
  bytesSince(from: number): number {
    const finished = (this.media ?? [])
      .filter((f) => f.kind === 'segment' && f.mtimeMs >= from)
      .reduce((n, f) => n + f.bytes, 0);
    const open = [...this.opens.keys()].reduce(
      (n, file) => n + (statSync(file, { throwIfNoEntry: false })?.size ?? 0),
      0,
    );
    return finished + open;
  }

  /** The segment being written now (the newest, if two are), if any: its file and since when (wall-clock ms). */
  get openSegment(): { file: string; openedAt: number } | null {
    const last = [...this.opens].at(-1);
    return last ? { file: last[0], openedAt: last[1] } : null;
  }

  private get open(): { file: string; openedAt: number } | null {
    return this.openSegment;
  }

  /**
   * A file written into the camera's folder by another part (an event clip, a snapshot), so
   * retention counts it without listing the folder again.
   * @param name path relative to the camera's folder (`clips/gate-3-1.mp4`, `snapshots/gate-3-7.jpg`)
   */
  noteWritten(name: string, kind: MediaFile['kind'], bytes: number): void {
    this.media?.push({ name, kind, bytes, mtimeMs: this.now() });
  }

  /** Stops the retention and retry timers. */
  close(): void {
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
    this.reconnectRequests.complete();
  }

  private preflight(): string | null {
    try {
      makeFolders(this.dir);
      accessSync(this.dir, constants.W_OK);
    } catch (err) {
      return `the recordings folder ${this.dir} cannot be written (${(err as NodeJS.ErrnoException).code}): check its permissions`;
    }
    try {
      const fs = statfsSync(this.dir);
      const free = fs.bavail * fs.bsize;
      // A segment of a 4 Mbit/s camera is ~0.5 MB per second.
      const need = 2 * this.settings.segmentSeconds * 512 * 1024;
      if (free < need)
        return `the disk of ${this.dir} is full (${(free / 2 ** 20).toFixed(1)} MB free, ${(need / 2 ** 20).toFixed(1)} MB needed for two segments): free space or lower the cameras' maxBytes`;
    } catch {
      /* statfs unsupported: try anyway */
    }
    return null;
  }

  private fail(reason: string): void {
    const first = !this.failure,
      changed = this.failure?.reason !== reason;
    this.failures++;
    const delay = retryDelayMs(this.failures);
    this.failure = { reason, at: this.now(), retryAt: this.now() + delay };
    this.counters.writeErrors++;
    this.opens.clear(); // the connection ends: its open segment stays as it was cut off
    if (first || changed)
      this.log.warn(
        { camera: this.cameraId },
        `camera '${this.cameraId}' recording stopped: ${reason}; inference goes on, recording is tried again in ${delay / 1000} s (then up to every ${retryDelayMs(Infinity) / 1000} s)`,
      );
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.retry(), delay).unref();
  }

  /** A failed recording is due: if the folder can be written now, the camera's connection is made again to record. */
  private retry(): void {
    if (!this.failure) return;
    const problem = this.preflight();
    if (problem) {
      this.fail(problem);
      return;
    }
    this.log.info(
      { camera: this.cameraId },
      `camera '${this.cameraId}': ${this.dir} can be written again; reconnecting to record`,
    );
    this.reconnectRequests.next(`the recording can be written again into ${this.dir}`);
    // A camera that was not streaming reconnects on its own (and records then); ask again later in case it never does.
    this.retryTimer = setTimeout(() => this.retry(), retryDelayMs(Infinity)).unref();
  }

  private opened(file: string, at: number): void {
    this.opens.set(file, at);
    const index = indexOf(file);
    if (index !== null) this.nextIndex = Math.max(this.nextIndex, index + 1);
  }

  private closed(file: string, at: number): void {
    const openedAt = this.opens.get(file) ?? at;
    this.opens.delete(file);
    let bytes = 0;
    try {
      bytes = statSync(file).size;
    } catch {
      return;
    } // deleted by retention meanwhile
    const index = indexOf(file) ?? this.nextIndex;
    const named = `${this.cameraId}-${compactUtc(openedAt)}-${String(index).padStart(6, '0')}.mkv`;
    try {
      renameSync(file, join(this.dir, named));
      const entry: SegmentEntry = {
        file: named,
        start: new Date(openedAt).toISOString(),
        end: new Date(at).toISOString(),
        bytes,
      };
      appendToIndex(this.dir, entry);
    } catch (err) {
      this.fail(`indexing ${basename(file)} failed (${(err as NodeJS.ErrnoException).code})`);
      return;
    }
    this.counters.segments++;
    this.counters.bytesWritten += bytes;
    this.failures = 0; // writing works: the next failure starts the backoff again
    this.media?.push({ name: named, kind: 'segment', bytes, mtimeMs: at });
    this.enforceRetention();
  }

  /**
   * Holds the camera's folder to its limits: the pre-roll buffer's segments past `keepSeconds` (unless
   * a clip being made needs them), then files past the age limit and the oldest files of any kind
   * (segments, clips, snapshots) until the folder fits `maxBytes` ({@link retentionVictims}).
   */
  enforceRetention(): void {
    const now = this.now();
    const open = new Set([...this.opens.keys()].map((f) => basename(f)));
    const pinnedFrom = Math.min(Infinity, ...this.pins.values());
    if (!this.media || now - this.listedAt >= RESCAN_MS) {
      this.media = listCameraMedia(this.dir, this.cameraId).filter((f) => !open.has(f.name));
      this.listedAt = now;
    }
    // The open segments grow: their size now (one stat each), the rest as known.
    const growing: MediaFile[] = [];
    for (const [file, openedAt] of this.opens) {
      const s = statSync(file, { throwIfNoEntry: false });
      if (s) {
        growing.push({ name: basename(file), kind: 'segment', bytes: s.size, mtimeMs: s.mtimeMs });
        continue;
      }
      if (now - openedAt <= 1000) continue;
      // Deleted under the writer (the folder removed): it writes on into a file nobody sees.
      this.fail(`the segment being written (${file}) was deleted, or its folder`);
      this.media = null;
      this.reconnectRequests.next(
        'the recording lost its folder: reconnecting without it until it can be written again',
      );
      return;
    }
    let files = [...this.media, ...growing];
    const deleted = new Set<MediaFile['kind']>();
    const gone = new Set<string>();
    const remove = (file: MediaFile, reason: 'quota' | 'age') => {
      try {
        unlinkSync(join(this.dir, file.name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') gone.add(file.name); // deleted behind our back
        return false;
      }
      gone.add(file.name);
      deleted.add(file.kind);
      if (reason === 'age') this.counters.deletedByAge++;
      else this.counters.deletedByQuota++;
      return true;
    };
    if (this.settings.keepSeconds !== undefined) {
      const cutoff = Math.min(now - this.settings.keepSeconds * 1000, pinnedFrom);
      // A file's mtime is when its last frame was written.
      files = files.filter(
        (f) => !(f.kind === 'segment' && !open.has(f.name) && f.mtimeMs < cutoff && remove(f, 'age')),
      );
    }
    const keep = (f: MediaFile) => f.kind === 'segment' && (open.has(f.name) || f.mtimeMs >= pinnedFrom);
    for (const { file, reason } of retentionVictims(files, {
      maxBytes: this.settings.maxBytes,
      maxAgeMs: this.settings.maxAgeHours * 3600_000,
      now,
      keep,
    }))
      remove(file, reason);
    if (gone.size) this.media = this.media.filter((f) => !gone.has(f.name));
    // The indexes lose the lines of deleted files (they would grow for good otherwise).
    try {
      for (const kind of deleted)
        compactIndex(kind === 'segment' ? this.dir : join(this.dir, kind === 'clip' ? 'clips' : 'snapshots'));
    } catch {
      /* retried after the next deletion */
    }
  }

  private highestIndex(): number {
    return listCameraMedia(this.dir, this.cameraId).reduce(
      (max, f) => (f.kind === 'segment' ? Math.max(max, indexOf(f.name) ?? -1) : max),
      -1,
    );
  }
}

/** The segment number at the end of a file name (`gate-000012.mkv`, `gate-20261203T101500Z-000012.mkv`), or null. */
function indexOf(file: string): number | null {
  const m = /-(\d{6,})\.mkv$/.exec(basename(file));
  return m ? Number(m[1]) : null;
}

/** `20261203T101500Z` for a time in ms. */
function compactUtc(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}
