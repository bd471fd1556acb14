import { boxIoU } from '../models/box.js';
import type { Detections } from '../models/detections.js';

/** One output row of the baseline: frame index (0-based), id, box x1,y1,x2,y2, score. */
export interface BaselineRow { frameIndex: number; id: number; box: [number, number, number, number]; score: number }

/**
 * The floor the issue measured: every detection at or above `minScore` is linked to the
 * previous frame's detection with the highest box IoU (greedy, highest IoU pair first, at least
 * `minIoU`), else it gets a new id. No motion model, no memory, no confirmation.
 */
export class GreedyIouTracker {
  private previous: { id: number; box: [number, number, number, number] }[] = [];
  private nextId = 1;
  constructor(private readonly minScore = 0.4, private readonly minIoU = 0.3) {}

  update(det: Detections): BaselineRow[] {
    const current: number[] = [];
    for (let i = 0; i < det.count; i++) if (det.scores[i] >= this.minScore) current.push(i);
    const prevBoxes = this.previous.flatMap((p) => p.box);
    const pairs: [number, number, number][] = [];
    current.forEach((d, ci) => this.previous.forEach((_, pi) => {
      const iou = boxIoU(prevBoxes, pi, det.boxes, d);
      if (iou >= this.minIoU) pairs.push([iou, ci, pi]);
    }));
    pairs.sort((a, b) => b[0] - a[0]);
    const idOf = new Map<number, number>(), usedPrev = new Set<number>();
    for (const [, ci, pi] of pairs) {
      if (idOf.has(ci) || usedPrev.has(pi)) continue;
      idOf.set(ci, this.previous[pi].id); usedPrev.add(pi);
    }
    const rows = current.map((d, ci) => ({
      frameIndex: det.frame.frameIndex, id: idOf.get(ci) ?? this.nextId++, score: det.scores[d],
      box: [det.boxes[4 * d], det.boxes[4 * d + 1], det.boxes[4 * d + 2], det.boxes[4 * d + 3]] as [number, number, number, number],
    }));
    this.previous = rows.map((r) => ({ id: r.id, box: r.box }));
    return rows;
  }
}
