import type { WebSocket } from 'ws';
import type { Detections } from '../../../models/detections.js';
import { encodeJpeg } from '../../media/jpeg.js';
import type { Logger } from '../../process/logger.js';

/** A viewer's socket and how often it may get a picture. */
interface Viewer {
  readonly socket: WebSocket;
  readonly camera: string;
  /** Smallest interval between two pictures for this viewer, ms. */
  readonly intervalMs: number;
  lastSentAt: number;
  /** A picture is being encoded for it: newer frames are not queued behind it (newest wins). */
  busy: boolean;
}

/** Above this many bytes queued on a viewer's socket, it gets no new picture (a slow browser never grows memory). */
const MAX_VIEWER_BUFFERED_BYTES = 512 * 1024;
/** JPEG quality of previews, 1-100. */
const PREVIEW_QUALITY = 70;

/**
 * Live pictures for the web viewer: for each frame, when some viewer of its camera is due (at
 * most `maxFps` pictures per second per viewer; newest frame wins, nothing queues), the frame's
 * pixels are copied and JPEG-encoded (libvips through sharp, on a libuv thread), then sent as one
 * binary WebSocket message: a 4-byte big-endian header length, a JSON header
 * `{"camera","frameIndex","ptsMs","width","height"}`, then the JPEG bytes. The viewer draws a
 * picture only with the tracks message of the same frame index. Without viewers nothing is
 * copied or encoded; a viewer whose socket is backed up is skipped.
 */
export class PreviewHub {
  private readonly viewers = new Set<Viewer>();
  private counters = { pictures: 0, skippedSlowViewer: 0 };

  constructor(private readonly log: Logger) {}

  /** Pictures sent and pictures skipped for a backed-up viewer. */
  get stats(): Readonly<Record<string, number>> {
    return { ...this.counters, viewers: this.viewers.size };
  }

  /** Registers a viewer socket for one camera; it leaves when the socket closes. */
  add(socket: WebSocket, camera: string, maxFps: number): void {
    const viewer: Viewer = {
      socket,
      camera,
      intervalMs: 1000 / Math.min(Math.max(maxFps, 0.2), 30),
      lastSentAt: 0,
      busy: false,
    };
    this.viewers.add(viewer);
    socket.once('close', () => this.viewers.delete(viewer));
  }

  /** Offers a segmented frame (its pixels still here); sends a picture to the viewers that are due. Synchronous up to the copy. */
  offer(detections: Detections): void {
    if (this.viewers.size === 0) return;
    const { frame } = detections;
    const now = performance.now();
    const due = [...this.viewers].filter(
      (v) => v.camera === frame.cameraId && !v.busy && now - v.lastSentAt >= v.intervalMs,
    );
    if (due.length === 0 || frame.rgb.byteLength === 0) return;
    const ready = due.filter((v) => {
      if (v.socket.bufferedAmount <= MAX_VIEWER_BUFFERED_BYTES) return true;
      this.counters.skippedSlowViewer++;
      return false;
    });
    if (ready.length === 0) return;
    for (const v of ready) {
      v.busy = true;
      v.lastSentAt = now;
    }
    const rgb = frame.rgb.slice(); // the pixels go on to the embedder; the picture gets its own copy
    const header = Buffer.from(
      JSON.stringify({
        camera: frame.cameraId,
        frameIndex: frame.frameIndex,
        ptsMs: frame.ptsMs,
        width: frame.width,
        height: frame.height,
      }),
    );
    encodeJpeg(rgb, frame.width, frame.height, PREVIEW_QUALITY).then(
      (jpegBytes) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(header.length);
        const message = Buffer.concat([length, header, jpegBytes]);
        for (const v of ready) {
          v.busy = false;
          if (v.socket.readyState === v.socket.OPEN) {
            v.socket.send(message, { binary: true });
            this.counters.pictures++;
          }
        }
      },
      (err: Error) => {
        for (const v of ready) v.busy = false;
        this.log.warn(`viewer picture not encoded: ${err.message}`);
      },
    );
  }

  /** Nothing to stop: pictures are encoded on libuv's thread pool (libvips). */
  async close(): Promise<void> {
    /* nothing held */
  }
}
