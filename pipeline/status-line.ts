import { processingFps, type CameraStatus } from './camera-run.js';

/** Frames that never reached the model: replaced by a newer one while it was busy, or skipped by the source. */
export function droppedFrames(c: CameraStatus): number {
  return c.sampling.dropped + c.sampling.skippedBySource;
}

/** ", N corrupt" when the source skipped frames it could not decode, else nothing. */
export function corruptNote(c: CameraStatus): string {
  return c.source.corruptFrames ? `, ${c.source.corruptFrames} corrupt skipped` : '';
}

/**
 * One status line for all cameras: per camera processing rate (frames/s over the run), frame
 * index, active tracks, tracks started, dropped frames, and the state when it is not
 * `streaming` (with reconnects and why), so "no people" reads differently from "no picture".
 * Wall-clock based: metrics only.
 */
export function formatStatusLine(cameras: readonly CameraStatus[]): string {
  return cameras.map((c) => {
    const fps = processingFps(c);
    const state = c.state === 'streaming' ? '' : ` | ${c.state.toUpperCase()}${c.state === 'stalled' || c.state === 'reconnecting' ? `: ${c.reason}` : ''}`;
    const reconnects = c.reconnects ? ` | ${c.reconnects} reconnects` : '';
    return `[${c.id}] ${fps.toFixed(1)} fps | frame ${Math.max(c.lastFrameIndex, 0)} | ${c.activeTracks} active tracks (${c.tracksStarted} total) | ${droppedFrames(c)} dropped${corruptNote(c)}${reconnects}${state}`;
  }).join('  ');
}
