import { droppedFrames, processingFps, type CameraStatus } from './camera-status.js';

/** ", N corrupt" when the source skipped frames it could not decode, else nothing. */
export function corruptNote(c: CameraStatus): string {
  return c.source.corruptFrames ? `, ${c.source.corruptFrames} corrupt skipped` : '';
}

/** Cameras shown one by one in the status line; with more, it summarises. */
export const DETAILED_CAMERAS = 4;
/** Longest status line, characters (with any number of cameras). */
export const STATUS_LINE_MAX = 1000;
/** Longest reason quoted for one camera, characters. */
const REASON_MAX = 80;

/** The state of a camera that is not `streaming`, with why when it is looking for its picture. */
function stateNote(c: CameraStatus): string {
  if (c.state === 'streaming') return '';
  const why =
    c.state === 'stalled' || c.state === 'reconnecting' || c.state === 'failed'
      ? `: ${clip(c.reason || c.error || '', REASON_MAX)}`
      : '';
  return ` | ${c.state.toUpperCase()}${why}`;
}

/** One camera's part of the line: rate, frame, tracks, drops, reconnects, state. */
function cameraPart(c: CameraStatus): string {
  const reconnects = c.reconnects ? ` | ${c.reconnects} reconnects` : '';
  return `[${c.id}] ${processingFps(c).toFixed(1)} fps | frame ${Math.max(c.lastFrameIndex, 0)} | ${c.activeTracks} active tracks (${c.tracksStarted} total) | ${droppedFrames(c)} dropped${corruptNote(c)}${reconnects}${stateNote(c)}`;
}

/** How badly a camera fares, for the summary's "worst" list: failed, then losing its picture, then not yet there, then by share of frames dropped. */
function badness(c: CameraStatus): number {
  const rank: Record<string, number> = { failed: 5, stalled: 4, reconnecting: 4, connecting: 3, starting: 2 };
  const dropped = droppedFrames(c) / Math.max(1, c.sampling.received);
  return (rank[c.state] ?? 0) + Math.min(1, dropped);
}

/**
 * One status line for all cameras. Up to {@link DETAILED_CAMERAS} cameras: each one's processing
 * rate (frames/s over the run), frame index, active tracks, tracks started, dropped frames, and the
 * state when it is not `streaming` (with reconnects and why), so "no people" reads differently from
 * "no picture". With more cameras, a summary: cameras by state, total rate, tracks and drops, and the
 * three cameras that fare worst; per-camera detail is in /metrics. Never longer than
 * {@link STATUS_LINE_MAX} characters, whatever the camera count (101 cameras wrote ~16 KB a second).
 * Wall-clock based: metrics only.
 */
export function formatStatusLine(cameras: readonly CameraStatus[]): string {
  if (cameras.length <= DETAILED_CAMERAS) return clip(cameras.map(cameraPart).join('  '), STATUS_LINE_MAX);
  const byState = new Map<string, number>();
  for (const c of cameras) byState.set(c.state, (byState.get(c.state) ?? 0) + 1);
  const states = [...byState]
    .sort((a, b) => b[1] - a[1])
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  const fps = cameras.reduce((n, c) => n + processingFps(c), 0);
  const active = cameras.reduce((n, c) => n + c.activeTracks, 0),
    started = cameras.reduce((n, c) => n + c.tracksStarted, 0);
  const dropped = cameras.reduce((n, c) => n + droppedFrames(c), 0);
  const worst = [...cameras]
    .sort((a, b) => badness(b) - badness(a))
    .slice(0, 3)
    .filter((c) => badness(c) > 0);
  const summary = `${cameras.length} cameras: ${states} | ${fps.toFixed(1)} fps in total | ${active} active tracks (${started} total) | ${dropped} dropped`;
  return clip(worst.length ? `${summary} | worst: ${worst.map(cameraPart).join('  ')}` : summary, STATUS_LINE_MAX);
}

/** `text` cut to `max` characters, with an ellipsis when cut. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
