import { boxIoU } from '../box.js';
import type { Detections } from '../detections.js';
import type { Tracker } from '../tracker.js';
import type { FrameTracks, StreamEnded, TrackEndReason, TrackObservation, TrackSummary } from '../tracks.js';

type Box = [number, number, number, number];

/** What the baseline remembers of one id. */
interface GreedyTrack {
  readonly id: number;
  readonly classId: number;
  readonly className: string;
  readonly firstFrame: number;
  readonly firstPtsMs: number;
  lastFrame: number;
  lastPtsMs: number;
  hits: number;
  scoreSum: number;
  box: Box;
}

/**
 * The tracking floor (the baseline of the tracker ablation): every detection at or above
 * `minScore` is linked to the previous frame's instance with the highest box IoU (greedy,
 * highest-IoU pair first, at least `minIoU`, any class), else it gets a new id. No motion model,
 * no memory, no confirmation: an id starts on its first frame (`started`) and ends as soon as a
 * frame does not continue it (`ended`, reason `lost-timeout`).
 */
export class GreedyIouTracker implements Tracker {
  private previous: GreedyTrack[] = [];
  private nextId = 1;
  private lastFrame: { frameIndex: number; ptsMs: number } | null = null;

  /**
   * @param minScore detections below this class score are ignored, [0, 1]
   * @param minIoU least box IoU with the previous frame's instance to keep its id, [0, 1]
   */
  constructor(
    readonly cameraId: string,
    private readonly minScore = 0.4,
    private readonly minIoU = 0.3,
  ) {}

  update(det: Detections): FrameTracks {
    const frame = det.frame;
    if (frame.cameraId !== this.cameraId)
      throw new Error(`tracker of camera '${this.cameraId}' got a frame of camera '${frame.cameraId}'`);
    this.lastFrame = { frameIndex: frame.frameIndex, ptsMs: frame.ptsMs };
    const current: number[] = [];
    for (let i = 0; i < det.count; i++) if (det.scores[i] >= this.minScore) current.push(i);
    const prevBoxes = this.previous.flatMap((p) => p.box);
    const pairs: [number, number, number][] = [];
    current.forEach((d, ci) => {
      this.previous.forEach((_, pi) => {
        const iou = boxIoU(prevBoxes, pi, det.boxes, d);
        if (iou >= this.minIoU) pairs.push([iou, ci, pi]);
      });
    });
    pairs.sort((a, b) => b[0] - a[0]);
    const continued = new Map<number, GreedyTrack>(),
      usedPrev = new Set<number>();
    for (const [, ci, pi] of pairs) {
      if (continued.has(ci) || usedPrev.has(pi)) continue;
      continued.set(ci, this.previous[pi]);
      usedPrev.add(pi);
    }
    const started: TrackSummary[] = [];
    const next: GreedyTrack[] = [];
    const active: TrackObservation[] = [];
    current.forEach((d, ci) => {
      const box: Box = [det.boxes[4 * d], det.boxes[4 * d + 1], det.boxes[4 * d + 2], det.boxes[4 * d + 3]];
      const score = det.scores[d];
      let t = continued.get(ci);
      if (t) {
        t.lastFrame = frame.frameIndex;
        t.lastPtsMs = frame.ptsMs;
        t.hits++;
        t.scoreSum += score;
        t.box = box;
      } else {
        t = {
          id: this.nextId++,
          classId: det.classIds[d],
          className: det.classNames[det.classIds[d]],
          firstFrame: frame.frameIndex,
          firstPtsMs: frame.ptsMs,
          lastFrame: frame.frameIndex,
          lastPtsMs: frame.ptsMs,
          hits: 1,
          scoreSum: score,
          box,
        };
        started.push(summaryOf(t));
      }
      next.push(t);
      active.push({
        trackId: t.id,
        classId: t.classId,
        className: t.className,
        score,
        box,
        mask: det.masks[d] ?? null,
        age: frame.frameIndex - t.firstFrame,
      });
    });
    const ended = this.previous.filter((_, pi) => !usedPrev.has(pi)).map((t) => summaryOf(t, 'lost-timeout'));
    this.previous = next;
    return {
      kind: 'frame',
      cameraId: this.cameraId,
      frameIndex: frame.frameIndex,
      ptsMs: frame.ptsMs,
      width: frame.width,
      height: frame.height,
      active,
      started,
      ended,
      detectionCount: det.count,
      inferenceMs: det.inferenceMs,
    };
  }

  end(reason: TrackEndReason = 'end-of-stream'): StreamEnded | null {
    if (!this.lastFrame) return null;
    const ended = this.previous.map((t) => summaryOf(t, reason));
    this.previous = [];
    return { kind: 'stream-ended', cameraId: this.cameraId, ...this.lastFrame, ended };
  }
}

function summaryOf(t: GreedyTrack, endReason?: TrackEndReason): TrackSummary {
  return {
    trackId: t.id,
    classId: t.classId,
    className: t.className,
    firstFrame: t.firstFrame,
    lastFrame: t.lastFrame,
    firstPtsMs: t.firstPtsMs,
    lastPtsMs: t.lastPtsMs,
    hits: t.hits,
    meanScore: Math.round((t.scoreSum / t.hits) * 1e4) / 1e4,
    ...(endReason ? { endReason } : {}),
  };
}
