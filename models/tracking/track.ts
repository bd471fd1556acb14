import type { InstanceMask } from '../instance-mask.js';
import type { TrackLifecycle, TrackSummary } from '../tracks.js';
import type { AppearanceMemory } from './appearance-memory.js';
import { KalmanBoxFilter } from './kalman-box.js';

/** One tracked instance: motion (Kalman filter), appearance memory, lifecycle and statistics. */
export class Track {
  /** Public id, assigned when the track is confirmed (0 while tentative), so ids have no gaps from noise. */
  trackId = 0;
  state: TrackLifecycle = 'tentative';
  readonly kalman: KalmanBoxFilter;
  readonly memory: AppearanceMemory | null;
  /** Consecutive matched frames while tentative; total matched frames afterwards. */
  hits = 1;
  /** Frames since the last match (0 = matched in the current frame). */
  framesSinceUpdate = 0;
  /** The tracker's update count when the appearance memory last took an embedding (-1: never). */
  memoryUpdatedAt = -1;
  /** Media time of the last match, ms (tracker's monotonic media clock). */
  lastMatchClockMs: number;
  firstFrame: number;
  lastFrame: number;
  firstPtsMs: number;
  lastPtsMs: number;
  private scoreSum: number;
  /** Last matched detection (box x1,y1,x2,y2 in frame pixels, score, mask). */
  lastBox: [number, number, number, number];
  lastScore: number;
  lastMask: InstanceMask | null;

  constructor(
    readonly classId: number,
    readonly className: string,
    box: [number, number, number, number],
    score: number,
    mask: InstanceMask | null,
    frameIndex: number,
    ptsMs: number,
    clockMs: number,
    memory: AppearanceMemory | null,
  ) {
    this.kalman = new KalmanBoxFilter(box);
    this.memory = memory;
    this.lastBox = box;
    this.lastScore = score;
    this.lastMask = mask;
    this.scoreSum = score;
    this.firstFrame = this.lastFrame = frameIndex;
    this.firstPtsMs = this.lastPtsMs = ptsMs;
    this.lastMatchClockMs = clockMs;
  }

  /** Records a matched detection in the current frame. */
  match(
    box: [number, number, number, number],
    score: number,
    mask: InstanceMask | null,
    frameIndex: number,
    ptsMs: number,
    clockMs: number,
  ): void {
    this.kalman.update(box);
    this.lastBox = box;
    this.lastScore = score;
    this.lastMask = mask;
    this.scoreSum += score;
    this.hits++;
    this.framesSinceUpdate = 0;
    this.lastFrame = frameIndex;
    this.lastPtsMs = ptsMs;
    this.lastMatchClockMs = clockMs;
  }

  /** Summary for lifecycle events. */
  summary(endReason?: TrackSummary['endReason']): TrackSummary {
    return {
      trackId: this.trackId,
      classId: this.classId,
      className: this.className,
      firstFrame: this.firstFrame,
      lastFrame: this.lastFrame,
      firstPtsMs: this.firstPtsMs,
      lastPtsMs: this.lastPtsMs,
      hits: this.hits,
      meanScore: Math.round((this.scoreSum / this.hits) * 1e4) / 1e4,
      ...(endReason ? { endReason } : {}),
    };
  }
}
