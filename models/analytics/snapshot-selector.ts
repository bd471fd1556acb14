import type { Frame } from '../frame.js';
import type { FrameTracks, StreamEnded, TrackObservation } from '../tracks.js';

/** The best view of one track: a copy of the frame where it was largest and most confident. */
export interface TrackSnapshot {
  readonly cameraId: string;
  readonly trackId: number;
  readonly className: string;
  /** Detection confidence in that frame, [0, 1]. */
  readonly score: number;
  /** x1, y1, x2, y2 in frame pixels. */
  readonly box: readonly [number, number, number, number];
  readonly frameIndex: number;
  /** Media time of that frame, ms. */
  readonly ptsMs: number;
  readonly width: number;
  readonly height: number;
  /** Packed RGB of the whole frame (a copy of its own). */
  readonly rgb: Uint8Array;
}

/** Tracks whose best frame is kept at once; beyond it, new tracks get none (memory stays bounded: ~1.3 MB per 768×576 frame). */
const MAX_KEPT = 32;
/** A track's kept frame is replaced only by one at least this much better … */
const MIN_GAIN = 1.1;
/** … and at most once per this much media time, ms (a person walking towards the camera improves every frame). */
const MIN_INTERVAL_MS = 500;

/**
 * The best snapshot per track (Frigate's "best snapshot"): while a confirmed track is matched, its
 * view is scored by box area × detection confidence, with boxes that touch the frame's edge
 * halved (the object is cut off); the frame of the best view is copied, and handed over when the
 * track ends. Copies are bounded: one per track, replaced when 10 % better and at most every
 * 500 ms of media time, at most 32 tracks at once.
 */
export class SnapshotSelector {
  private readonly best = new Map<number, { quality: number; at: number; snapshot: TrackSnapshot }>();

  /**
   * Looks at a frame's tracks (before its pixels are recycled) and returns the snapshots of the
   * tracks that ended in it.
   */
  observe(tracks: FrameTracks | StreamEnded): TrackSnapshot[] {
    if (tracks.kind === 'frame' && tracks.frame && tracks.frame.rgb.byteLength > 0) {
      for (const t of tracks.active) this.consider(t, tracks.frame);
    }
    return tracks.ended.flatMap((summary) => {
      const kept = this.best.get(summary.trackId);
      this.best.delete(summary.trackId);
      return kept ? [kept.snapshot] : [];
    });
  }

  /** Tracks with a kept frame. */
  get size(): number {
    return this.best.size;
  }

  private consider(t: TrackObservation, frame: Frame): void {
    const [x1, y1, x2, y2] = t.box;
    const cut = x1 <= 1 || y1 <= 1 || x2 >= frame.width - 1 || y2 >= frame.height - 1;
    const quality = Math.max(0, x2 - x1) * Math.max(0, y2 - y1) * t.score * (cut ? 0.5 : 1);
    const kept = this.best.get(t.trackId);
    if (kept && (quality < kept.quality * MIN_GAIN || frame.ptsMs - kept.at < MIN_INTERVAL_MS)) return;
    if (!kept && this.best.size >= MAX_KEPT) return;
    this.best.set(t.trackId, {
      quality,
      at: frame.ptsMs,
      snapshot: {
        cameraId: frame.cameraId,
        trackId: t.trackId,
        className: t.className,
        score: t.score,
        box: [x1, y1, x2, y2],
        frameIndex: frame.frameIndex,
        ptsMs: frame.ptsMs,
        width: frame.width,
        height: frame.height,
        rgb: frame.rgb.slice(),
      },
    });
  }
}
