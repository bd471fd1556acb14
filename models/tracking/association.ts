import type { TrackerConfig } from '../../config/schema.js';
import { boxIoU } from '../box.js';
import { hasEmbedding, type Detections } from '../detections.js';
import { assignMinCost } from './assignment.js';
import type { Track } from './track.js';

/** A box, x1, y1, x2, y2 in frame pixels. */
export type Box = [number, number, number, number];

/** Tracks and detection indices left unmatched by a stage. */
export interface Unmatched {
  readonly tracks: Track[];
  readonly detections: number[];
}

/**
 * The association stages of the memory tracker (ByteTrack, Zhang et al. 2022, with appearance as
 * in DeepSORT / BoT-SORT), as pure functions of one frame's detections, the tracks' predicted
 * boxes and the thresholds: cost matrices, gates and Hungarian assignment. Matches are recorded
 * in `matched` (track → detection index); nothing else of a track is changed here (the
 * lifecycle is the tracker's: memory-tracker.ts).
 */
export class FrameAssociation {
  /**
   * @param predicted each track's predicted box for this frame
   * @param gapScale how many nominal frame intervals this frame is after the last one (≥ 1, see
   *   MemoryTracker): the overlap gate and the re-identification radius widen with it, as the
   *   prediction's uncertainty does
   */
  constructor(
    readonly det: Detections,
    readonly predicted: ReadonlyMap<Track, Box>,
    readonly options: TrackerConfig,
    readonly gapScale = 1,
  ) {}

  /** Minimum IoU of a motion match at this frame's gap: `minIoU` divided by the gap (a longer extrapolation overlaps less). */
  get minIoU(): number {
    return this.options.minIoU / Math.max(1, this.gapScale);
  }

  /** Whether the class rule forbids matching track `t` with detection `d`. */
  classMismatch(t: Track, d: number): boolean {
    return this.options.classAware && this.det.classIds[d] !== t.classId;
  }

  /**
   * Stage 1: confident detections vs confirmed and lost tracks, Hungarian matching on
   * {@link fullCost}. Geometry is gated first; a pair that is the only candidate of both its track
   * and its detection and overlaps strongly (IoU ≥ 0.6, where no appearance gate applies) is
   * matched whatever its appearance, so its appearance distance is not computed. Same result, less work.
   */
  matchByMotionAndAppearance(tracks: Track[], detections: number[], matched: Map<Track, number>): Unmatched {
    if (tracks.length === 0 || detections.length === 0) return { tracks, detections };
    const { det } = this;
    const candidate = tracks.map((t) => {
      const box = this.predicted.get(t)!;
      return detections.map((d) => {
        const iou = boxIoU(box, 0, det.boxes, d);
        return this.isCandidate(t, d, box, iou) ? iou : -1;
      });
    });
    const rowCount = candidate.map((row) => row.reduce((n, v) => n + (v >= 0 ? 1 : 0), 0));
    const colCount = detections.map((_, c) => candidate.reduce((n, row) => n + (row[c] >= 0 ? 1 : 0), 0));
    const cost = candidate.map((row, r) =>
      row.map((iou, c) => {
        if (iou < 0) return Infinity;
        if (rowCount[r] === 1 && colCount[c] === 1 && iou >= 0.6) return 1 - iou;
        return this.fullCost(tracks[r], detections[c], iou);
      }),
    );
    return assign(tracks, detections, matched, cost);
  }

  /** Stages 2 and 3: tracks vs detections by IoU alone (gate `minIoU` at a one-frame gap, scaled like {@link minIoU}). */
  matchByOverlap(tracks: Track[], detections: number[], matched: Map<Track, number>, minIoU: number): Unmatched {
    if (tracks.length === 0 || detections.length === 0) return { tracks, detections };
    const gate = minIoU / Math.max(1, this.gapScale);
    return assign(
      tracks,
      detections,
      matched,
      tracks.map((t) => detections.map((d) => this.iouCost(t, d, gate))),
    );
  }

  /**
   * Whether a track and a detection may match at all: same class (when class-aware), overlap, or
   * a lost track's re-identification radius (only with the detection's appearance, or when
   * `assumeAppearance` — asking whether to embed it).
   */
  isCandidate(t: Track, d: number, box: Box, iou: number, assumeAppearance = false): boolean {
    if (this.classMismatch(t, d)) return false;
    if (iou >= this.minIoU) return true;
    const { det } = this;
    if (t.state !== 'lost' || !t.memory || !(assumeAppearance || hasEmbedding(det, d))) return false;
    const h = Math.max(box[3] - box[1], 1);
    const dx = (det.boxes[4 * d] + det.boxes[4 * d + 2] - box[0] - box[2]) / 2;
    const dy = (det.boxes[4 * d + 1] + det.boxes[4 * d + 3] - box[1] - box[3]) / 2;
    return Math.hypot(dx, dy) <= this.options.reidMaxJump * h * Math.max(1, this.gapScale);
  }

  /** Association cost of a candidate pair: appearance and overlap mixed; Infinity when appearance forbids it. */
  fullCost(t: Track, d: number, iou: number): number {
    const o = this.options,
      { det } = this;
    const overlaps = iou >= this.minIoU;
    const app = t.memory && hasEmbedding(det, d) ? t.memory.distance(det.embeddings!, d * det.embeddingDim) : Infinity;
    if (!Number.isFinite(app)) return overlaps ? 1 - iou : Infinity;
    if (overlaps) {
      // Overlapping but looking different: at a crossing, this is the other person.
      if (app > o.maxAppearanceDistance && iou < 0.6) return Infinity;
      return o.appearanceWeight * app + (1 - o.appearanceWeight) * (1 - iou);
    }
    // No overlap: re-identification of a lost track by appearance alone, near where it should be.
    if (app > o.reidDistance) return Infinity;
    return o.appearanceWeight * app + (1 - o.appearanceWeight);
  }

  private iouCost(t: Track, d: number, minIoU: number): number {
    if (this.classMismatch(t, d)) return Infinity;
    const iou = boxIoU(this.predicted.get(t)!, 0, this.det.boxes, d);
    return iou >= minIoU ? 1 - iou : Infinity;
  }
}

/**
 * Which confident detections overlap another confident detection by more than `maxOverlap` IoU
 * (their crops show part of someone else): Uint8Array(N), 1 = occluded. Computed once per frame.
 */
export function occlusions(det: Detections, high: readonly number[], maxOverlap: number): Uint8Array {
  const occluded = new Uint8Array(det.count);
  const b = det.boxes;
  for (let x = 0; x < high.length; x++) {
    const i = high[x];
    for (let y = x + 1; y < high.length; y++) {
      const j = high[y];
      if (b[4 * i] >= b[4 * j + 2] || b[4 * j] >= b[4 * i + 2]) continue; // no horizontal overlap
      if (boxIoU(b, i, b, j) > maxOverlap) {
        occluded[i] = 1;
        occluded[j] = 1;
      }
    }
  }
  return occluded;
}

/** Hungarian assignment on a cost matrix (Infinity = forbidden); records matches, returns the unmatched. */
function assign(tracks: Track[], detections: number[], matched: Map<Track, number>, matrix: number[][]): Unmatched {
  const usedT = new Set<number>(),
    usedD = new Set<number>();
  for (const [r, c] of assignMinCost(matrix)) {
    matched.set(tracks[r], detections[c]);
    usedT.add(r);
    usedD.add(c);
  }
  return { tracks: tracks.filter((_, r) => !usedT.has(r)), detections: detections.filter((_, c) => !usedD.has(c)) };
}
