import type { TrackerConfig } from '../../config/schema.js';
import { boxIoU } from '../box.js';
import type { Detections } from '../detections.js';
import { FrameAssociation, occlusions, type Box } from './association.js';
import type { Track } from './track.js';

/**
 * Which detections of the coming frame need an embedding (see `Tracker.appearanceDemand`),
 * mirroring the association stages ({@link FrameAssociation}) on the tracks' predicted boxes
 * without changing any state.
 *
 * A confident detection is *claimed* by a confirmed track when each is the other's only overlap
 * candidate (IoU ≥ minIoU) and they overlap with IoU ≥ 0.6: the tracker matches such a pair by
 * motion alone, so the detection is embedded only to refresh that track's memory (when it may
 * update a memory — ≥ memoryMinScore, not occluded — and the memory is empty or older than
 * `appearanceRefreshFrames` updates). Lost tracks are not re-identified from claimed detections in
 * between: appearance could take a claimed detection from its track only if the track's memory
 * disagreed with it by more than the IoU (≥ 0.6 in cosine distance), i.e. a drifted track, which
 * the next refresh still reveals. Any other confident detection with a candidate track holding a
 * memory (overlap, or a lost track's re-identification radius) is ambiguous and embedded, and a
 * detection that may update a memory is embedded when a candidate track's memory is due or it has
 * no candidate (it may start a track, whose memory starts with it).
 *
 * @param tracks the tracker's tracks before the coming update
 * @param predicted their boxes predicted for the coming frame, in the same order
 * @param nextUpdate the tracker's update count the coming frame will have
 * @param gapScale nominal frame intervals between the last frame and the coming one (≥ 1)
 * @returns Uint8Array(N), 1 = embed, or null for all (`appearanceRefreshFrames` 0)
 */
export function appearanceDemand(
  det: Detections,
  tracks: readonly Track[],
  predicted: readonly Box[],
  o: TrackerConfig,
  nextUpdate: number,
  gapScale = 1,
): Uint8Array | null {
  if (o.appearanceRefreshFrames === 0) return null;
  const want = new Uint8Array(det.count);
  const due = (t: Track) => !t.memory || t.memory.empty || nextUpdate - t.memoryUpdatedAt >= o.appearanceRefreshFrames;
  const high: number[] = [];
  for (let d = 0; d < det.count; d++) if (det.scores[d] >= o.highScoreThreshold) high.push(d);
  const isHigh = (d: number) => det.scores[d] >= o.highScoreThreshold;
  const occluded = occlusions(det, high, o.memoryMaxOverlap);
  const association = new FrameAssociation(det, new Map(tracks.map((t, r) => [t, predicted[r]])), o, gapScale);
  const inPool = tracks.map((t) => t.state === 'confirmed' || t.state === 'lost');
  // IoU of every (track, detection) pair; `overlapping`: an overlap candidate (class allowing);
  // `candidate`: any candidate, counting re-identification radii as if the detection had appearance.
  const iou = tracks.map((_, r) => Array.from({ length: det.count }, (_, d) => boxIoU(predicted[r], 0, det.boxes, d)));
  const overlapping = (r: number, d: number) =>
    iou[r][d] >= association.minIoU && !association.classMismatch(tracks[r], d);
  const candidate = (r: number, d: number) => association.isCandidate(tracks[r], d, predicted[r], iou[r][d], true);
  const overlapsOf = (r: number) => high.reduce((n, d) => n + (overlapping(r, d) ? 1 : 0), 0);
  const claimedBy = (d: number): number => {
    if (!isHigh(d)) return -1;
    let owner = -1;
    for (let r = 0; r < tracks.length; r++) {
      if (!inPool[r] || !overlapping(r, d)) continue;
      if (owner >= 0) return -1; // two overlap candidates
      owner = r;
    }
    return owner >= 0 && tracks[owner].state === 'confirmed' && iou[owner][d] >= 0.6 && overlapsOf(owner) === 1
      ? owner
      : -1;
  };
  for (let d = 0; d < det.count; d++) {
    if (det.scores[d] < o.lowScoreThreshold) continue; // never associated
    const remembers = det.scores[d] >= o.memoryMinScore && !occluded[d];
    const owner = claimedBy(d);
    if (owner >= 0) {
      want[d] = remembers && due(tracks[owner]) ? 1 : 0;
      continue;
    }
    let candidates = 0,
      anyDue = false;
    for (let r = 0; r < tracks.length; r++) {
      if (!candidate(r, d)) continue;
      const t = tracks[r];
      candidates++;
      if (due(t)) anyDue = true;
      if (isHigh(d) && inPool[r] && t.memory && !t.memory.empty) want[d] = 1; // appearance enters the cost
    }
    if (remembers && (candidates === 0 || anyDue)) want[d] = 1;
  }
  return want;
}
