import { createRequire } from 'node:module';
import { linkSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type GstModule from 'gstreamer-superficial';
import type { BusMessage } from 'gstreamer-superficial';
import { makeFolders } from '../../config/make-folders.js';
import type { Tracks } from '../../models/tracks.js';
import { gstQuote } from '../../operators/sources/gst-launch.js';
import { MESSAGE_SCHEMA_VERSION, type UnsequencedMessage } from '../../operators/wire/track-messages.js';
import type { Logger } from '../logger.js';
import type { CameraRecorder } from './camera-recorder.js';
import { appendToIndex, type ClipEntry } from './media-index.js';

/** A camera's clip settings (config `cameras[].clips`). */
export interface ClipSettings {
  readonly enabled: boolean;
  readonly preRollSeconds: number;
  readonly postRollSeconds: number;
  readonly events: readonly ('track_started' | 'zone_entered' | 'line_crossed')[];
  readonly classes: readonly string[];
}

/** A clip being gathered: from its start (wall-clock ms) until postRoll after its tracks ended. */
interface OpenClip {
  readonly id: string;
  readonly start: number;
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
 * clip), and it ends `postRollSeconds` after the last of its tracks ended. Then the recorded
 * segments that cover it are joined, as they are (no re-encoding), into one MP4
 * (`<dir>/<camera>-<epoch>-<n>.mp4`, moov first so a browser plays it at once), and a `clip_ready`
 * message names it and the events it holds. Times are wall-clock: the segments' index has them.
 * While a clip is gathered the recorder keeps the segments it needs ({@link CameraRecorder.pin}).
 */
export class ClipMaker {
  private open: OpenClip | null = null;
  private made = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly pending = new Set<Promise<void>>();
  /** What was made, for metrics. */
  readonly counters = { clips: 0, bytes: 0, errors: 0 };

  constructor(private readonly cameraId: string, private readonly dir: string, private readonly settings: ClipSettings, private readonly recorder: CameraRecorder,
    private readonly epoch: number, private readonly publish: (message: UnsequencedMessage) => void, private readonly log: Logger, private readonly now: () => number = Date.now) {
    this.timer = setInterval(() => this.closeIfDue(), 500).unref();
  }

  /**
   * Looks at one item of the camera's graph (after zones, before it is published): opens, extends
   * or ends the clip.
   * @returns event id → clip id for the item's events that are part of a clip (those that opened or
   *   joined it, and the ends of its tracks), or null when none is
   */
  observe(tracks: Tracks): Record<string, string> | null {
    const now = this.now();
    const wanted = (className: string) => this.settings.classes.length === 0 || this.settings.classes.includes(className);
    const run = `${this.cameraId}:${this.epoch}`;
    let clipOf: Record<string, string> | null = null;
    const mark = (eventId: string) => { clipOf ??= {}; clipOf[eventId] = this.open!.id; };
    if (tracks.kind === 'frame' && this.settings.events.includes('track_started')) {
      for (const t of tracks.started) if (wanted(t.className)) mark(this.join(`${run}:${t.trackId}:started`, t.trackId, now));
    }
    for (const e of tracks.zoneEvents ?? []) {
      if (e.kind === 'zone_exited' || !this.settings.events.includes(e.kind)) continue;
      mark(this.join(`${run}:${e.trackId}:${e.kind === 'line_crossed' ? e.line : e.zone}:${e.kind}@${tracks.frameIndex}`, e.trackId, now));
    }
    if (this.open) {
      for (const t of tracks.ended) if (this.open.tracks.delete(t.trackId)) mark(`${run}:${t.trackId}:ended`);
      if (this.open.tracks.size === 0) this.open.endAt = Math.max(this.open.endAt ?? 0, now + this.settings.postRollSeconds * 1000);
    }
    this.closeIfDue();
    return clipOf;
  }

  /** Ends the open clip now (the camera stops) and waits for the clips being made. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.open) { this.open.endAt = this.now(); this.finish(this.open); this.open = null; }
    await Promise.all([...this.pending]);
  }

  /** Adds an event to the open clip, opening one when none is; returns `eventId`. */
  private join(eventId: string, trackId: number, now: number): string {
    if (!this.open) {
      this.open = { id: `${this.cameraId}-${this.epoch}-${++this.made}`, start: now - this.settings.preRollSeconds * 1000, eventIds: [], tracks: new Set(), endAt: null };
      this.recorder.pin(this.open.id, this.open.start);
    }
    this.open.eventIds.push(eventId);
    this.open.tracks.add(trackId);
    this.open.endAt = null;
    return eventId;
  }

  private closeIfDue(): void {
    const clip = this.open;
    if (!clip || clip.endAt === null || this.now() < clip.endAt) return;
    this.open = null;
    this.finish(clip);
  }

  private finish(clip: OpenClip): void {
    const job = this.make(clip).catch((err: Error) => {
      this.counters.errors++;
      this.log.warn({ camera: this.cameraId, clip: clip.id }, `clip ${clip.id} not made: ${err.message}`);
    }).finally(() => { this.recorder.pin(clip.id, null); this.pending.delete(job); });
    this.pending.add(job);
  }

  /** Waits for the segment holding the clip's end to be finished, then joins the segments into one MP4. */
  private async make(clip: OpenClip): Promise<void> {
    const end = clip.endAt!;
    const deadline = this.now() + this.recorder.settings.segmentSeconds * 1000 + SEGMENT_WAIT_MARGIN_MS;
    while (this.now() < deadline && (this.recorder.openSegment?.openedAt ?? Infinity) <= end) await new Promise((r) => setTimeout(r, 250));
    const segments = this.recorder.segmentsBetween(clip.start, end);
    if (segments.length === 0) throw new Error('no recorded segment covers it (is the camera recording?)');
    makeFolders(this.dir);
    const file = `${clip.id}.mp4`;
    const out = join(this.dir, file);
    // splitmuxsrc reads a glob as one stream with continuous timestamps: links to the segments in a folder of their own.
    const parts = mkdtempSync(join(tmpdir(), 'edgevis-clip-'));
    try {
      segments.forEach((s, i) => linkSync(join(this.recorder.dir, s.file), join(parts, `part-${String(i).padStart(4, '0')}.mkv`)));
      await remux(`splitmuxsrc location=${gstQuote(join(parts, '*.mkv'))} ! parsebin ! mp4mux faststart=true ! filesink location=${gstQuote(out)}`);
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
      schema: MESSAGE_SCHEMA_VERSION, type: 'clip_ready', camera: this.cameraId, clipId: clip.id, eventIds: clip.eventIds,
      start, end: last, clip: { file, url: `/media/${this.cameraId}/clips/${file}`, bytes },
    });
  }
}

/** Runs a GStreamer graph to its end of stream. @throws (rejects) with GStreamer's error */
function remux(line: string): Promise<void> {
  const gst = createRequire(import.meta.url)('gstreamer-superficial') as typeof GstModule;
  const pipeline = new gst.Pipeline(line);
  pipeline['auto-flush-bus'] = false;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { pipeline.stop(); reject(new Error('remuxing took longer than 60 s')); }, 60_000);
    pipeline.pollBus((msg: BusMessage) => {
      if (msg.type === 'eos') { clearTimeout(timer); pipeline.stop(); resolve(); }
      else if (msg.type === 'error') { clearTimeout(timer); pipeline.stop(); reject(new Error(String(msg.message ?? 'GStreamer error'))); }
    });
    pipeline.play();
  });
}
