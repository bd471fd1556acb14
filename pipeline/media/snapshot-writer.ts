import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appendToIndex, type SnapshotEntry } from './media-index.js';
import { makeFolders } from '../../config/make-folders.js';
import type { TrackSnapshot } from '../../models/analytics/snapshot-selector.js';
import { MESSAGE_SCHEMA_VERSION, type UnsequencedMessage } from '../../operators/wire/track-messages.js';
import { encodeJpeg } from './jpeg.js';
import type { Logger } from '../process/logger.js';

/** A camera's snapshot settings (config `cameras[].snapshots`). */
export interface SnapshotSettings {
  readonly enabled: boolean;
  readonly overlay: boolean;
  /** JPEG quality, 1-100. */
  readonly quality: number;
}

/** Where a finished snapshot goes besides its file. */
export interface SnapshotOutlets {
  /** Publishes the `track_snapshot` message (numbered by the camera's sequence). */
  readonly message: (message: UnsequencedMessage) => void;
  /** Hands the JPEG to the publishers that keep one per camera and label (MQTT `<prefix>/<camera>/<label>/snapshot`, retained). */
  readonly jpeg: (label: string, jpeg: Buffer) => void;
  /** Told of each file written (name in the snapshots folder, bytes), for the folder's retention. */
  readonly written?: (file: string, bytes: number) => void;
}

/**
 * Writes tracks' best snapshots as JPEG, off the main thread (libvips through sharp, on libuv's
 * thread pool: ~5-10 ms for 768×576, against 20-30 ms of JavaScript for jpeg-js), with the track's
 * box, class and id drawn when `overlay` is on. Files: `<dir>/<camera>-<epoch>-<trackId>.jpg`.
 * After the file is written, the `track_snapshot` message says where it is, and the JPEG is handed
 * to the publishers. A snapshot that cannot be encoded or written is logged and counted, never thrown.
 */
export class SnapshotWriter {
  private pending = new Set<Promise<void>>();
  /** What was written, for metrics. */
  readonly counters = { snapshots: 0, bytes: 0, errors: 0, encodeMs: 0 };

  constructor(
    private readonly cameraId: string,
    private readonly dir: string,
    private readonly settings: SnapshotSettings,
    private readonly epoch: number,
    private readonly outlets: SnapshotOutlets,
    private readonly log: Logger,
  ) {}

  /** Encodes and writes one snapshot (asynchronously). */
  write(snapshot: TrackSnapshot): void {
    const job = this.encodeAndWrite(snapshot)
      .catch((err: Error) => {
        this.counters.errors++;
        this.log.warn(
          { camera: this.cameraId, trackId: snapshot.trackId },
          `snapshot of track ${snapshot.trackId} not written: ${err.message}`,
        );
      })
      .finally(() => {
        this.pending.delete(job);
      });
    this.pending.add(job);
  }

  /** Resolves once every snapshot asked for so far is written (or failed). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async encodeAndWrite(s: TrackSnapshot): Promise<void> {
    const started = performance.now();
    const jpeg = await encodeJpeg(
      s.rgb,
      s.width,
      s.height,
      this.settings.quality,
      this.settings.overlay ? overlaySvg(s) : undefined,
    );
    this.counters.encodeMs += performance.now() - started;
    const file = `${this.cameraId}-${this.epoch}-${s.trackId}.jpg`;
    makeFolders(this.dir);
    await writeFile(join(this.dir, file), jpeg);
    this.outlets.written?.(file, jpeg.length);
    this.counters.snapshots++;
    this.counters.bytes += jpeg.length;
    const [x1, y1, x2, y2] = s.box;
    const r2 = (v: number) => Math.round(v * 100) / 100;
    const eventId = `${this.cameraId}:${this.epoch}:${s.trackId}:snapshot`,
      score = Math.round(s.score * 1e4) / 1e4;
    // The index lets `GET /media/<camera>/` list snapshots by time with their track (wall clock: recordings are).
    appendToIndex<SnapshotEntry>(this.dir, {
      file,
      time: new Date().toISOString(),
      eventId,
      trackId: s.trackId,
      className: s.className,
      score,
      frameIndex: s.frameIndex,
      bytes: jpeg.length,
    });
    this.outlets.message({
      schema: MESSAGE_SCHEMA_VERSION,
      type: 'track_snapshot',
      camera: this.cameraId,
      frameIndex: s.frameIndex,
      ptsMs: s.ptsMs,
      eventId,
      trackId: s.trackId,
      className: s.className,
      score,
      bbox: [r2(x1), r2(y1), r2(x2 - x1), r2(y2 - y1)],
      snapshot: { file, url: `/media/${this.cameraId}/snapshots/${file}`, bytes: jpeg.length },
    });
    this.outlets.jpeg(s.className, jpeg);
  }
}

/** The overlay: the track's box and a label with its class and id, in frame pixels. */
function overlaySvg(s: TrackSnapshot): string {
  const [x1, y1, x2, y2] = s.box;
  const label = `${s.className} ${s.trackId} ${(100 * s.score).toFixed(0)}%`.replace(/[<>&"']/g, '');
  const size = Math.max(12, Math.round(s.height / 40));
  const ty = y1 - size * 1.4 >= 0 ? y1 - size * 0.4 : y2 + size * 1.1;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${s.width}" height="${s.height}">` +
    `<rect x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" fill="none" stroke="#00e676" stroke-width="${Math.max(2, size / 6)}"/>` +
    `<rect x="${x1}" y="${ty - size}" width="${label.length * size * 0.62}" height="${size * 1.3}" fill="#00e676"/>` +
    `<text x="${x1 + 2}" y="${ty}" font-family="sans-serif" font-size="${size}" fill="#000">${label}</text></svg>`
  );
}
