/**
 * Hop 1 of the graph (source → sample): one decoded video frame.
 *
 * Pixels are packed RGB, 8 bits per channel, row-major (HWC), top-left origin,
 * `width * height * 3` bytes, at the source's original resolution, so every
 * coordinate downstream (boxes, masks) is in frame pixels.
 */
export interface Frame {
  /** Camera id from config; keys all per-camera state (tracker, topics). */
  readonly cameraId: string;
  /** 0-based index in decode order since the source (re)started counting; for files, the frame number in the file. */
  readonly frameIndex: number;
  /** Media timestamp in milliseconds: index / fps for files, pipeline position for live sources. Never wall clock. */
  readonly ptsMs: number;
  /** Frame width in pixels. */
  readonly width: number;
  /** Frame height in pixels. */
  readonly height: number;
  /**
   * The source's frame interval from its declared frame rate, ms (100 for a 10 fps camera);
   * absent when the source declares none (variable frame rate). Frames a live source or the
   * sampler dropped make the media time between two frames a multiple of it.
   */
  readonly frameIntervalMs?: number;
  /** RGB bytes, length `width * height * 3`. */
  readonly rgb: Uint8Array;
  /** When the frame passed each stage (latency metrics only, never published); the same object travels with the frame. */
  readonly timing?: FrameTiming;
}

/**
 * Wall-clock moments (performance.now(), ms) of one frame's trip through the graph, filled in by
 * the stages as it passes (source → segment → embed → track → publish). Metrics only: never in
 * messages or results, so replays stay byte-identical.
 */
export interface FrameTiming {
  /** The source handed the frame over. */
  readonly receivedAt: number;
  /** How long the pull for this frame waited for the source, ms (≈ 0 when the consumer was the slower side). */
  readonly sourceWaitMs?: number;
  segmentStartAt?: number;
  segmentEndAt?: number;
  /** Time the segmentation itself took in the inference worker, ms (the rest of segmentEnd − segmentStart is queueing and transfer). */
  segmentWorkerMs?: number;
  embedEndAt?: number;
  trackEndAt?: number;
  publishedAt?: number;
}

/** Byte length of a packed RGB frame of the given size. */
export function rgbByteLength(width: number, height: number): number {
  return width * height * 3;
}
