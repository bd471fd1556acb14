import { createRequire } from 'node:module';
import { linkSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type GstModule from 'gstreamer-superficial';
import type { BusMessage } from 'gstreamer-superficial';
import { makeFolders } from '../../config/make-folders.js';
import type { Tracks } from '../../models/tracks.js';
import { gstQuote } from '../../operators/sources/gst-launch.js';
import { MESSAGE_SCHEMA_VERSION, type UnsequencedMessage } from '../../operators/wire/track-messages.js';
import type { Logger } from '../process/logger.js';
import type { CameraRecorder } from './camera-recorder.js';
import { appendToIndex, type ClipEntry } from './media-index.js';

/** A camera's clip settings (config `cameras[].clips`). */
export interface ClipSettings {
  readonly enabled: boolean;
  readonly preRollSeconds: number;
  readonly postRollSeconds: number;
  readonly events: readonly ('track_started' | 'zone_entered' | 'line_crossed')[];
  readonly classes: readonly string[];
  /**
   * Longest clip, s: a clip still open this long after its start is ended there and the activity
   * goes on in a new clip (`continues` names the one before), so a busy scene gives consecutive
   * clips rather than one that never ends.
   */
  readonly maxSeconds: number;
}

/** How often the open clip's pinned bytes are looked at, ms. */
const SIZE_CHECK_MS = 500;

/** Suffix of a clip's MP4 while it is written (renamed to `.mp4` once complete; never served, removed at start). */
const PART_SUFFIX = '.mp4.part';

/** A clip being gathered: from its start (wall-clock ms) until postRoll after its tracks ended. */
interface OpenClip {
  readonly id: string;
  readonly start: number;
  /** The clip this one continues (the one before was cut at the maximum length). */
  readonly continues?: string;
  readonly eventIds: string[];
  readonly tracks: Set<number>;
  /** When it ends if nothing else happens (wall-clock ms); null while a track is open. */
  endAt: number | null;
}

/** How long a finished clip waits for the segment holding its end to be finished, ms (beyond the segment length). */
const SEGMENT_WAIT_MARGIN_MS = 5000;

/**
 * Event clips (Frigate's event clips, DeepStream's smart record): for the configured event kinds
 * (a track of the configured classes confirmed, a zone entered, a line crossed) a clip opens
 * `preRollSeconds` before the event; events while it is open join it (overlapping events share one
 * clip), and it ends `postRollSeconds` after the last of its tracks ended (new events in that time
 * keep it open). A clip is also cut at `maxSeconds`, or once the segments it pins reach half the
 * folder's quota, and its still-open tracks go on in a new clip that `continues` it: a clip always
 * ends, and what it holds back from retention is bounded. Then the recorded segments that cover it
 * are joined, as they are (no re-encoding), into one MP4 (`<dir>/<camera>-<epoch>-<n>.mp4`, moov
 * first so a browser plays it at once; written as `.mp4.part` and renamed once complete, so a
 * partial file never has a clip's name), and a `clip_ready` message names it and the events it
 * holds. Times are wall-clock: the segments' index has them. While a clip is gathered and made the
 * recorder keeps the segments it needs ({@link CameraRecorder.pin}).
 */
export class ClipMaker {
  private open: OpenClip | null = null;
  private made = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly pending = new Set<Promise<void>>();
  /** When the open clip's size was last looked at (wall-clock ms). */
  private sizeCheckedAt = -Infinity;
  /** The remuxes running now, to stop when the camera stops before they end. */
  private readonly remuxing = new Set<{ abort(): void }>();
  /** What was made, for metrics. */
  readonly counters = { clips: 0, bytes: 0, errors: 0 };

  constructor(
    private readonly cameraId: string,
    private readonly dir: string,
    private readonly settings: ClipSettings,
    private readonly recorder: CameraRecorder,
    private readonly epoch: number,
    private readonly publish: (message: UnsequencedMessage) => void,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.timer = setInterval(() => this.closeIfDue(), 500).unref();
    removeLeftovers(dir);
  }

  /**
   * Looks at one item of the camera's graph (after zones, before it is published): opens, extends
   * or ends the clip.
   * @returns event id → clip id for the item's events that are part of a clip (those that opened or
   *   joined it, and the ends of its tracks), or null when none is
   */
  observe(tracks: Tracks): Record<string, string> | null {
    const now = this.now();
    const wanted = (className: string) =>
      this.settings.classes.length === 0 || this.settings.classes.includes(className);
    const run = `${this.cameraId}:${this.epoch}`;
    this.cutIfTooLong(now);
    let clipOf: Record<string, string> | null = null;
    const mark = (eventId: string) => {
      clipOf ??= {};
      clipOf[eventId] = this.open!.id;
    };
    if (tracks.kind === 'frame' && this.settings.events.includes('track_started')) {
      for (const t of tracks.started)
        if (wanted(t.className)) mark(this.join(`${run}:${t.trackId}:started`, t.trackId, now));
    }
    for (const e of tracks.zoneEvents ?? []) {
      if (e.kind === 'zone_exited' || !this.settings.events.includes(e.kind)) continue;
      mark(
        this.join(
          `${run}:${e.trackId}:${e.kind === 'line_crossed' ? e.line : e.zone}:${e.kind}@${tracks.frameIndex}`,
          e.trackId,
          now,
        ),
      );
    }
    if (this.open) {
      for (const t of tracks.ended) if (this.open.tracks.delete(t.trackId)) mark(`${run}:${t.trackId}:ended`);
      // The post-roll counts from when the last track ended, not from each later frame.
      if (this.open.tracks.size === 0 && this.open.endAt === null)
        this.open.endAt = now + this.settings.postRollSeconds * 1000;
    }
    this.closeIfDue();
    return clipOf;
  }

  /**
   * Ends the open clip now (the camera stops) and waits for the clips being made, at most `withinMs`:
   * a clip not written by then is stopped and its partial file removed (never left half-written).
   */
  async close(withinMs = 2500): Promise<void> {
    clearInterval(this.timer);
    if (this.open) {
      this.open.endAt = this.now();
      this.finish(this.open);
      this.open = null;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all([...this.pending]).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), withinMs);
      }),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
    for (const job of this.remuxing) job.abort();
    await Promise.all([...this.pending]);
  }

  /** Adds an event to the open clip, opening one when none is; returns `eventId`. */
  private join(eventId: string, trackId: number, now: number): string {
    if (!this.open) this.openClip(now - this.settings.preRollSeconds * 1000);
    this.open!.eventIds.push(eventId);
    this.open!.tracks.add(trackId);
    this.open!.endAt = null;
    return eventId;
  }

  private openClip(start: number, continues?: { id: string; tracks: ReadonlySet<number> }): void {
    this.open = {
      id: `${this.cameraId}-${this.epoch}-${++this.made}`,
      start,
      ...(continues ? { continues: continues.id } : {}),
      eventIds: [],
      tracks: new Set(continues?.tracks),
      endAt: null,
    };
    this.recorder.pin(this.open.id, start);
  }

  /**
   * Cuts the open clip at its maximum length, or once the segments it pins reach half the folder's
   * quota; its open tracks go on in a new clip from here.
   */
  private cutIfTooLong(now: number): void {
    const clip = this.open;
    if (!clip || clip.endAt !== null) return;
    const tooLong = now - clip.start >= this.settings.maxSeconds * 1000;
    // Not before it holds more than its pre-roll and two segments (a tiny quota must not make a clip every half second).
    const grown = now - clip.start >= (this.settings.preRollSeconds + 2 * this.recorder.settings.segmentSeconds) * 1000;
    // Its size is looked at most every 500 ms (it lists the segments and stats the open one), not per frame.
    const sizeDue = grown && now - this.sizeCheckedAt >= SIZE_CHECK_MS;
    if (sizeDue) this.sizeCheckedAt = now;
    const tooBig = sizeDue && this.recorder.bytesSince(clip.start) >= this.recorder.settings.maxBytes / 2;
    if (!tooLong && !tooBig) return;
    clip.endAt = now;
    this.open = null;
    this.openClip(now, clip);
    this.finish(clip);
    this.log.info(
      { clip: clip.id, next: this.open!.id },
      `clip ${clip.id} reached its ${tooLong ? `maximum length (${this.settings.maxSeconds} s)` : 'share of the quota (half of record.maxBytes)'}; it goes on in ${this.open!.id}`,
    );
  }

  private closeIfDue(): void {
    const now = this.now();
    this.cutIfTooLong(now);
    const clip = this.open;
    if (!clip || clip.endAt === null || now < clip.endAt) return;
    this.open = null;
    this.finish(clip);
  }

  private finish(clip: OpenClip): void {
    const job = this.make(clip)
      .catch((err: Error) => {
        this.counters.errors++;
        this.log.warn({ camera: this.cameraId, clip: clip.id }, `clip ${clip.id} not made: ${err.message}`);
      })
      .finally(() => {
        this.recorder.pin(clip.id, null);
        this.pending.delete(job);
      });
    this.pending.add(job);
  }

  /** Waits for the segment holding the clip's end to be finished, then joins the segments into one MP4. */
  private async make(clip: OpenClip): Promise<void> {
    const end = clip.endAt!;
    const deadline = this.now() + this.recorder.settings.segmentSeconds * 1000 + SEGMENT_WAIT_MARGIN_MS;
    while (this.now() < deadline && (this.recorder.openSegment?.openedAt ?? Infinity) <= end)
      await new Promise((r) => setTimeout(r, 250));
    const segments = this.recorder.segmentsBetween(clip.start, end);
    if (segments.length === 0) throw new Error('no recorded segment covers it (is the camera recording?)');
    makeFolders(this.dir);
    const file = `${clip.id}.mp4`;
    const out = join(this.dir, file),
      part = join(this.dir, `${clip.id}${PART_SUFFIX}`);
    // splitmuxsrc reads a glob as one stream with continuous timestamps: links to the segments in a folder of their own.
    const parts = mkdtempSync(join(tmpdir(), 'edgevis-clip-'));
    try {
      segments.forEach((s, i) => {
        linkSync(join(this.recorder.dir, s.file), join(parts, `part-${String(i).padStart(4, '0')}.mkv`));
      });
      const job = remux(
        `splitmuxsrc location=${gstQuote(join(parts, '*.mkv'))} ! parsebin ! mp4mux faststart=true ! filesink location=${gstQuote(part)}`,
      );
      this.remuxing.add(job);
      try {
        await job.done;
      } finally {
        this.remuxing.delete(job);
      }
      renameSync(part, out);
    } catch (err) {
      rmSync(part, { force: true });
      throw err;
    } finally {
      rmSync(parts, { recursive: true, force: true });
    }
    const bytes = statSync(out).size;
    this.recorder.noteWritten(join('clips', file), 'clip', bytes);
    this.counters.clips++;
    this.counters.bytes += bytes;
    const [start, last] = [segments[0].start, segments[segments.length - 1].end];
    appendToIndex<ClipEntry>(this.dir, { file, clipId: clip.id, start, end: last, eventIds: clip.eventIds, bytes });
    this.publish({
      schema: MESSAGE_SCHEMA_VERSION,
      type: 'clip_ready',
      camera: this.cameraId,
      clipId: clip.id,
      ...(clip.continues ? { continues: clip.continues } : {}),
      eventIds: clip.eventIds,
      start,
      end: last,
      clip: { file, url: `/media/${this.cameraId}/clips/${file}`, bytes },
    });
  }
}

/** Removes the partial MP4s a process that died while writing them left in `dir`. */
function removeLeftovers(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.endsWith(PART_SUFFIX)) rmSync(join(dir, name), { force: true });
}

/**
 * Runs a GStreamer graph to its end of stream.
 * @returns `done`, which rejects with GStreamer's error, after 60 s, or when `abort()` stopped it
 */
function remux(line: string): { done: Promise<void>; abort(): void } {
  const gst = createRequire(import.meta.url)('gstreamer-superficial') as typeof GstModule;
  const pipeline = new gst.Pipeline(line);
  pipeline['auto-flush-bus'] = false;
  let fail!: (err: Error) => void;
  const done = new Promise<void>((resolve, reject) => {
    let settled = false;
    const end = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      pipeline.stop();
      if (err) reject(err);
      else resolve();
    };
    fail = end;
    const timer = setTimeout(() => end(new Error('remuxing took longer than 60 s')), 60_000);
    pipeline.pollBus((msg: BusMessage) => {
      if (msg.type === 'eos') end();
      else if (msg.type === 'error') end(new Error(String(msg.message ?? 'GStreamer error')));
    });
    pipeline.play();
  });
  return {
    done,
    abort: () => fail(new Error('the camera stopped before the clip was written: its partial file was removed')),
  };
}
