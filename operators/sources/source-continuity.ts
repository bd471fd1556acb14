/**
 * Frame indices and media time of a camera's frames: pure rules shared by the GStreamer source (a
 * frame's index and time from its timestamp) and the live-source supervisor (indices and time that
 * go on across connections). Indices are 0-based frame numbers of the media; times are ms.
 */

/** Parses a GStreamer fraction such as "10/1"; null for 0/1 (variable) or missing. */
export function parseFramerate(text: string | undefined): number | null {
  const m = typeof text === 'string' ? text.match(/^(\d+)\/(\d+)$/) : null;
  if (!m) return null;
  const num = Number(m[1]),
    den = Number(m[2]);
  return num > 0 && den > 0 ? num / den : null;
}

/** What decides one decoded frame's index and media time. */
export interface FrameClock {
  /** A live source or a paced file (timed by the frame's own timestamp), rather than a file read in full (timed by its count). */
  readonly timedByStream: boolean;
  /** The stream's declared frame rate, frames/s; null when it declares none. */
  readonly fps: number | null;
  /** A file: its media time stays on its frame grid (frame n at n / fps), as in a full-speed replay. */
  readonly onFrameGrid: boolean;
}

/**
 * The index and media time (ms, µs-rounded) of the next frame.
 * - A file read in full: the count of frames delivered, and count / fps.
 * - A stream: its timestamp (`positionS`, s; negative = unknown: then the count, over fps if known),
 *   its index the timestamp × fps, never less than the last index + 1, so frames the source dropped
 *   leave gaps and none repeats; without fps, the last index + 1.
 * @param delivered frames delivered before this one
 * @param lastIndex the index of the last frame delivered (-1 before the first)
 * @param positionS the frame's timestamp in stream time, s (asked only for streams)
 */
export function nextFrameTiming(
  clock: FrameClock,
  delivered: number,
  lastIndex: number,
  positionS: () => number,
): { index: number; ptsMs: number } {
  const { fps } = clock;
  if (!clock.timedByStream && fps !== null)
    return { index: delivered, ptsMs: Math.round((delivered * 1e6) / fps) / 1e3 };
  const position = positionS();
  const ptsMs = position >= 0 ? Math.round(position * 1e6) / 1e3 : fps ? (delivered * 1000) / fps : delivered;
  const index = fps ? Math.max(lastIndex + 1, Math.round((ptsMs * fps) / 1000)) : lastIndex + 1;
  return { index, ptsMs: clock.onFrameGrid && fps ? Math.round((index * 1e6) / fps) / 1e3 : ptsMs };
}

/** The last frame a supervised source delivered: index, media time (ms) and when (performance.now(), ms). */
export interface LastFrame {
  readonly frameIndex: number;
  readonly ptsMs: number;
  readonly at: number;
}

/**
 * How a new connection's frames continue the ones before: what to add to its indices and times
 * (each connection starts its own at 0), so the first frame comes after the last one delivered,
 * advanced by the outage's wall time (a tracker sees the outage as elapsed media time and ends
 * tracks lost for longer than its limit).
 * @param last the last frame delivered before the outage
 * @param first the new connection's first frame, as its source numbered it
 * @param stepMs the media time between two frames, ms
 * @param now performance.now() at the new frame, ms
 */
export function continuationOffset(
  last: LastFrame,
  first: { readonly frameIndex: number; readonly ptsMs: number },
  stepMs: number,
  now: number,
): { index: number; pts: number } {
  const gapMs = Math.max(stepMs, now - last.at);
  return {
    index: last.frameIndex + Math.max(1, Math.round(gapMs / stepMs)) - first.frameIndex,
    pts: last.ptsMs + gapMs - first.ptsMs,
  };
}

/**
 * The media time between two frames, learnt from two frames of the same connection (an outage is
 * no frame interval); `stepMs` unchanged when they do not tell (the first frame of a connection, or no index step).
 */
export function learnStepMs(
  previous: LastFrame | null,
  frame: { readonly frameIndex: number; readonly ptsMs: number },
  sameConnection: boolean,
  stepMs: number,
): number {
  if (!previous || !sameConnection || frame.frameIndex <= previous.frameIndex) return stepMs;
  return (frame.ptsMs - previous.ptsMs) / (frame.frameIndex - previous.frameIndex) || stepMs;
}
