import { processingFps, type CameraStatus } from './camera-run.js';

/**
 * One status line for all cameras: per camera processing rate (frames/s over the run), active
 * tracks, tracks started, dropped frames and state. Wall-clock based: metrics only.
 */
export function formatStatusLine(cameras: readonly CameraStatus[]): string {
  return cameras.map((c) => {
    const fps = processingFps(c);
    const state = c.state === 'running' ? '' : ` ${c.state}`;
    return `[${c.id}] ${fps.toFixed(1)} fps | frame ${Math.max(c.lastFrameIndex, 0)} | ${c.activeTracks} active tracks (${c.tracksStarted} total) | ${c.sampling.dropped} dropped${state}`;
  }).join('  ');
}
