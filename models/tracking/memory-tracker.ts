import type { TrackerConfig } from '../../config/schema.js';
import { boxIoU } from '../box.js';
import { hasEmbedding, type Detections } from '../detections.js';
import type { Tracker } from '../tracker.js';
import type { FrameTracks, StreamEnded, TrackEndReason, TrackObservation, TrackSummary } from '../tracks.js';
import { AppearanceMemory } from './appearance-memory.js';
import { assignMinCost } from './assignment.js';
import { Track } from './track.js';

type Box = [number, number, number, number];

/**
 * Online multi-object tracker for one camera: keeps each instance's identity across frames
 * with motion, overlap, class and a memory of appearance. Pure and synchronous; all state is
 * in the instance, so one tracker per camera never shares identities with another, and a
 * source reconnect keeps using the same tracker (ids continue).
 *
 * Per frame (after ByteTrack, Zhang et al. 2022, with appearance as in DeepSORT / BoT-SORT):
 * 1. predict every track with its constant-velocity Kalman filter;
 * 2. match confident detections (≥ highScoreThreshold) to confirmed and lost tracks by a cost
 *    mixing (1 − IoU with the predicted box) and the cosine distance to the track's appearance
 *    memory, with Hungarian assignment; a lost track may also be re-identified by appearance
 *    alone within `reidMaxJump` box heights of its prediction;
 * 3. match remaining confirmed tracks to low-score detections by IoU (occluded people);
 * 4. match tentative tracks to remaining confident detections by IoU;
 * 5. lifecycle: tentative → confirmed after `confirmHits` matches (id assigned, `started`);
 *    unmatched confirmed → lost; lost longer than `maxLostFrames` / `maxLostSeconds` →
 *    removed (`ended`); unmatched tentative → removed silently; unmatched confident detections
 *    (≥ newTrackScoreThreshold) start tentative tracks.
 * The appearance memory is updated only from confident detections that no other detection
 * overlaps (occlusion guard), so a track's memory is not polluted by its occluder.
 *
 * Appearance is asked for only where it can matter ({@link appearanceDemand}): a detection that
 * is the only candidate of its only candidate track and overlaps it strongly is matched by
 * motion alone, so its embedding is computed only to refresh that track's memory, at most every
 * `appearanceRefreshFrames` updates. With the default (1) no decision changes on PETS09-S2L1 and
 * 65 % of the detections are embedded (the others cannot update a memory: not confident enough,
 * or occluded).
 */
export class MemoryTracker implements Tracker {
  private tracks: Track[] = [];
  private nextTrackId = 1;
  /** Monotonic media clock, ms: advances by the media time between frames, survives timestamp resets. */
  private clockMs = 0;
  private lastPtsMs: number | null = null;
  private lastStepMs = 100;
  /** Last processed frame (index, media time ms), for the end of stream. */
  private lastFrame: { frameIndex: number; ptsMs: number } | null = null;
  /** Number of {@link update} calls so far (the clock of the memory refresh). */
  private updates = 0;

  constructor(readonly cameraId: string, private readonly options: TrackerConfig) {}

  /** Number of tracks held (tentative, confirmed and lost). */
  get size(): number { return this.tracks.length; }

  /**
   * Advances the tracker by one frame.
   * @param det the frame's detections; embeddings, when present, must be L2-normalised
   * @throws Error when the detections belong to another camera
   */
  update(det: Detections): FrameTracks {
    const frame = det.frame;
    if (frame.cameraId !== this.cameraId) throw new Error(`tracker of camera '${this.cameraId}' got a frame of camera '${frame.cameraId}'`);
    this.lastFrame = { frameIndex: frame.frameIndex, ptsMs: frame.ptsMs };
    this.updates++;
    this.advanceClock(frame.ptsMs);
    const o = this.options;
    for (const t of this.tracks) { t.kalman.predict(); t.framesSinceUpdate++; }
    // A track unmatched for longer than the limits (e.g. across a long camera outage) ends before
    // association, so it is never revived: after a long outage a person still in view gets a new id.
    const expired: TrackSummary[] = [];
    for (const t of this.tracks) {
      if (t.framesSinceUpdate <= o.maxLostFrames && this.clockMs - t.lastMatchClockMs <= o.maxLostSeconds * 1000) continue;
      if (t.state === 'confirmed' || t.state === 'lost') expired.push(t.summary('lost-timeout'));
      t.state = 'removed';
    }
    this.tracks = this.tracks.filter((t) => t.state !== 'removed');

    const high: number[] = [], low: number[] = [];
    for (let i = 0; i < det.count; i++) {
      if (det.scores[i] >= o.highScoreThreshold) high.push(i);
      else if (det.scores[i] >= o.lowScoreThreshold) low.push(i);
    }
    const predicted = new Map<Track, Box>(this.tracks.map((t) => [t, t.kalman.box()]));
    const matched = new Map<Track, number>();
    const occluded = this.occlusions(det, high);

    // Stage 1: confident detections vs confirmed + lost tracks, motion + appearance.
    const pool = this.tracks.filter((t) => t.state === 'confirmed' || t.state === 'lost');
    const rest1 = this.matchByMotionAndAppearance(pool, high, matched, det, predicted);
    // Stage 2: still-tracked (not lost) tracks vs low-score detections, IoU only.
    const tracked = rest1.tracks.filter((t) => t.state === 'confirmed');
    this.match(tracked, low, matched, (t, d) => this.iouCost(t, d, det, predicted.get(t)!, 0.5));
    // Stage 3: tentative tracks vs remaining confident detections, IoU only.
    const tentative = this.tracks.filter((t) => t.state === 'tentative');
    const rest3 = this.match(tentative, rest1.detections, matched, (t, d) => this.iouCost(t, d, det, predicted.get(t)!, o.minIoU));

    const started: TrackSummary[] = [], ended: TrackSummary[] = expired;
    for (const [t, d] of matched) {
      const box = detBox(det, d);
      t.match(box, det.scores[d], det.masks[d] ?? null, frame.frameIndex, frame.ptsMs, this.clockMs);
      this.remember(t, d, det, occluded);
      if (t.state === 'lost') t.state = 'confirmed';
      if (t.state === 'tentative' && t.hits >= o.confirmHits) started.push(this.confirm(t));
    }
    for (const t of this.tracks) {
      if (matched.has(t)) continue;
      if (t.state === 'tentative') t.state = 'removed';
      else if (t.state === 'confirmed') t.state = 'lost';
      if (t.state === 'lost' && (t.framesSinceUpdate > o.maxLostFrames || this.clockMs - t.lastMatchClockMs > o.maxLostSeconds * 1000)) {
        t.state = 'removed';
        ended.push(t.summary('lost-timeout'));
      }
    }
    this.tracks = this.tracks.filter((t) => t.state !== 'removed');
    for (const d of rest3.detections) {
      if (det.scores[d] < o.newTrackScoreThreshold) continue;
      const t = new Track(det.classIds[d], det.classNames[det.classIds[d]], detBox(det, d), det.scores[d],
        det.masks[d] ?? null, frame.frameIndex, frame.ptsMs, this.clockMs,
        det.embeddings ? new AppearanceMemory(det.embeddingDim, o.memorySize, o.embeddingMomentum) : null);
      this.remember(t, d, det, occluded);
      this.tracks.push(t);
      if (o.confirmHits <= 1) started.push(this.confirm(t));
    }
    return this.snapshot(det, started, ended);
  }

  /** Ends every confirmed or lost track at the last processed frame (see {@link Tracker.end}). */
  end(reason: TrackEndReason = 'end-of-stream'): StreamEnded | null {
    if (!this.lastFrame) return null;
    const ended = this.tracks.filter((t) => t.state === 'confirmed' || t.state === 'lost').map((t) => t.summary(reason));
    this.tracks = [];
    return { kind: 'stream-ended', cameraId: this.cameraId, ...this.lastFrame, ended };
  }

  /**
   * Which detections of the coming frame need an embedding (see {@link Tracker.appearanceDemand}),
   * mirroring {@link update} on the tracks' predicted boxes without changing any state.
   * A confident detection is *claimed* by a confirmed track when each is the other's only
   * overlap candidate (IoU ≥ minIoU) and they overlap with IoU ≥ 0.6: update matches such a pair
   * by motion alone, so the detection is embedded only to refresh that track's memory (when it
   * may update a memory — ≥ memoryMinScore, not occluded — and the memory is empty or older than
   * `appearanceRefreshFrames` updates). Lost tracks are not re-identified from claimed detections
   * in between: appearance could take a claimed detection from its track only if the track's memory
   * disagreed with it by more than the IoU (≥ 0.6 in cosine distance), i.e. a drifted track, which
   * the next refresh still reveals. Any other confident detection with a candidate track holding a
   * memory (overlap, or a lost track's re-identification radius) is ambiguous and embedded, and a
   * detection that may update a memory is embedded when a candidate track's memory is due or it has
   * no candidate (it may start a track, whose memory starts with it).
   * With `appearanceRefreshFrames` 0 every detection is embedded (returns null).
   * @returns Uint8Array(N), 1 = embed, or null for all
   */
  appearanceDemand(det: Detections): Uint8Array | null {
    const o = this.options;
    if (o.appearanceRefreshFrames === 0) return null;
    const want = new Uint8Array(det.count);
    const next = this.updates + 1;
    const due = (t: Track) => !t.memory || t.memory.empty || next - t.memoryUpdatedAt >= o.appearanceRefreshFrames;
    const high: number[] = [];
    for (let d = 0; d < det.count; d++) if (det.scores[d] >= o.highScoreThreshold) high.push(d);
    const isHigh = (d: number) => det.scores[d] >= o.highScoreThreshold;
    const occluded = this.occlusions(det, high);
    const tracks = this.tracks;
    const inPool = tracks.map((t) => t.state === 'confirmed' || t.state === 'lost');
    const predicted = tracks.map((t) => t.kalman.predictedBox());
    // IoU of every (track, detection) pair; `overlapping`: an overlap candidate (class allowing);
    // `candidate`: any candidate, counting re-identification radii as if the detection had appearance.
    const iou = tracks.map((_, r) => Array.from({ length: det.count }, (_, d) => boxIoU(predicted[r], 0, det.boxes, d)));
    const overlapping = (r: number, d: number) => iou[r][d] >= o.minIoU && !this.classMismatch(tracks[r], d, det);
    const candidate = (r: number, d: number) => this.isCandidate(tracks[r], d, det, predicted[r], iou[r][d], true);
    const overlapsOf = (r: number) => high.reduce((n, d) => n + (overlapping(r, d) ? 1 : 0), 0);
    const claimedBy = (d: number): number => {
      if (!isHigh(d)) return -1;
      let owner = -1;
      for (let r = 0; r < tracks.length; r++) {
        if (!inPool[r] || !overlapping(r, d)) continue;
        if (owner >= 0) return -1; // two overlap candidates
        owner = r;
      }
      return owner >= 0 && tracks[owner].state === 'confirmed' && iou[owner][d] >= 0.6 && overlapsOf(owner) === 1 ? owner : -1;
    };
    for (let d = 0; d < det.count; d++) {
      if (det.scores[d] < o.lowScoreThreshold) continue; // never associated
      const remembers = det.scores[d] >= o.memoryMinScore && !occluded[d];
      const owner = claimedBy(d);
      if (owner >= 0) { want[d] = remembers && due(tracks[owner]) ? 1 : 0; continue; }
      let candidates = 0, anyDue = false;
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

  private advanceClock(ptsMs: number): void {
    if (this.lastPtsMs !== null) {
      const step = ptsMs - this.lastPtsMs;
      // A live source that reconnected restarts its timestamps: count one usual frame step.
      if (step > 0) { this.clockMs += step; this.lastStepMs = step; } else this.clockMs += this.lastStepMs;
    }
    this.lastPtsMs = ptsMs;
  }

  private confirm(t: Track): TrackSummary {
    t.state = 'confirmed';
    t.trackId = this.nextTrackId++;
    return t.summary();
  }

  /** Stores a detection's embedding in the track's memory when it is confident and unoccluded. */
  private remember(t: Track, d: number, det: Detections, occluded: Uint8Array): void {
    if (!t.memory || !hasEmbedding(det, d) || det.scores[d] < this.options.memoryMinScore || occluded[d]) return;
    t.memory.add(det.embeddings!, d * det.embeddingDim);
    t.memoryUpdatedAt = this.updates;
  }

  /**
   * Which detections overlap another confident detection by more than `memoryMaxOverlap` IoU
   * (their crops show part of someone else), computed once per frame.
   */
  private occlusions(det: Detections, high: readonly number[]): Uint8Array {
    const occluded = new Uint8Array(det.count);
    const b = det.boxes, limit = this.options.memoryMaxOverlap;
    for (let x = 0; x < high.length; x++) {
      const i = high[x];
      for (let y = x + 1; y < high.length; y++) {
        const j = high[y];
        if (b[4 * i] >= b[4 * j + 2] || b[4 * j] >= b[4 * i + 2]) continue; // no horizontal overlap
        if (boxIoU(b, i, b, j) > limit) { occluded[i] = 1; occluded[j] = 1; }
      }
    }
    return occluded;
  }

  private match(
    tracks: Track[], detections: number[], matched: Map<Track, number>,
    cost: (t: Track, d: number) => number,
  ): { tracks: Track[]; detections: number[] } {
    if (tracks.length === 0 || detections.length === 0) return { tracks, detections };
    return this.assign(tracks, detections, matched, tracks.map((t) => detections.map((d) => cost(t, d))));
  }

  /** Hungarian assignment on a cost matrix; records matches, returns the unmatched. */
  private assign(tracks: Track[], detections: number[], matched: Map<Track, number>, matrix: number[][]): { tracks: Track[]; detections: number[] } {
    const usedT = new Set<number>(), usedD = new Set<number>();
    for (const [r, c] of assignMinCost(matrix)) {
      matched.set(tracks[r], detections[c]);
      usedT.add(r); usedD.add(c);
    }
    return { tracks: tracks.filter((_, r) => !usedT.has(r)), detections: detections.filter((_, c) => !usedD.has(c)) };
  }

  private classMismatch(t: Track, d: number, det: Detections): boolean {
    return this.options.classAware && det.classIds[d] !== t.classId;
  }

  private iouCost(t: Track, d: number, det: Detections, box: Box, minIoU: number): number {
    if (this.classMismatch(t, d, det)) return Infinity;
    const iou = boxIoU(box, 0, det.boxes, d);
    return iou >= minIoU ? 1 - iou : Infinity;
  }

  /**
   * Stage 1 of {@link update}: Hungarian matching on {@link fullCost}. Geometry is gated first;
   * a pair that is the only candidate of both its track and its detection and overlaps strongly
   * (IoU ≥ 0.6, where no appearance gate applies) is matched whatever its appearance, so its
   * appearance distance (a few 512-d dot products) is not computed. Same result, less work.
   */
  private matchByMotionAndAppearance(
    tracks: Track[], detections: number[], matched: Map<Track, number>, det: Detections, predicted: Map<Track, Box>,
  ): { tracks: Track[]; detections: number[] } {
    if (tracks.length === 0 || detections.length === 0) return { tracks, detections };
    const candidate = tracks.map((t) => {
      const box = predicted.get(t)!;
      return detections.map((d) => { const iou = boxIoU(box, 0, det.boxes, d); return this.isCandidate(t, d, det, box, iou) ? iou : -1; });
    });
    const rowCount = candidate.map((row) => row.reduce((n, v) => n + (v >= 0 ? 1 : 0), 0));
    const colCount = detections.map((_, c) => candidate.reduce((n, row) => n + (row[c] >= 0 ? 1 : 0), 0));
    const cost = candidate.map((row, r) => row.map((iou, c) => {
      if (iou < 0) return Infinity;
      if (rowCount[r] === 1 && colCount[c] === 1 && iou >= 0.6) return 1 - iou;
      return this.fullCost(tracks[r], detections[c], det, iou);
    }));
    return this.assign(tracks, detections, matched, cost);
  }

  /**
   * Whether a track and a detection may match at all: same class (when class-aware), overlap, or
   * a lost track's re-identification radius (only with the detection's appearance, or when
   * `assumeAppearance` — asking whether to embed it).
   */
  private isCandidate(t: Track, d: number, det: Detections, box: Box, iou: number, assumeAppearance = false): boolean {
    if (this.classMismatch(t, d, det)) return false;
    const o = this.options;
    if (iou >= o.minIoU) return true;
    if (t.state !== 'lost' || !t.memory || !(assumeAppearance || hasEmbedding(det, d))) return false;
    const h = Math.max(box[3] - box[1], 1);
    const dx = (det.boxes[4 * d] + det.boxes[4 * d + 2] - box[0] - box[2]) / 2;
    const dy = (det.boxes[4 * d + 1] + det.boxes[4 * d + 3] - box[1] - box[3]) / 2;
    return Math.hypot(dx, dy) <= o.reidMaxJump * h;
  }

  /** Association cost of a candidate pair (see the class comment); Infinity when appearance forbids it. */
  private fullCost(t: Track, d: number, det: Detections, iou: number): number {
    const o = this.options;
    const overlaps = iou >= o.minIoU;
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

  private snapshot(det: Detections, started: TrackSummary[], ended: TrackSummary[]): FrameTracks {
    const f = det.frame;
    const active: TrackObservation[] = this.tracks
      .filter((t) => t.state === 'confirmed' && t.framesSinceUpdate === 0)
      .sort((a, b) => a.trackId - b.trackId)
      .map((t) => ({
        trackId: t.trackId, classId: t.classId, className: t.className, score: t.lastScore,
        box: t.lastBox, mask: t.lastMask, age: f.frameIndex - t.firstFrame,
      }));
    return {
      kind: 'frame', cameraId: this.cameraId, frameIndex: f.frameIndex, ptsMs: f.ptsMs, width: f.width, height: f.height,
      active, started, ended, detectionCount: det.count, inferenceMs: det.inferenceMs,
    };
  }
}

function detBox(det: Detections, d: number): Box {
  return [det.boxes[4 * d], det.boxes[4 * d + 1], det.boxes[4 * d + 2], det.boxes[4 * d + 3]];
}
