// Test doubles for the operators' tests: a scripted tracker (one confirmed track per frame, ended at
// the end of the stream), detections of a tiny frame, and a publisher that records what it gets.
import type { Detections } from '../../models/detections.js';
import type { Frame } from '../../models/frame.js';
import type { Tracker } from '../../models/tracker.js';
import type { FrameTracks, StreamEnded, TrackSummary } from '../../models/tracks.js';
import type { TrackPublisher } from '../../operators/publish-tracks.js';
import type { TrackMessage } from '../../operators/wire/track-messages.js';
import { blankFrame, makeDetections } from './fixtures.js';

/** A 4×4 blank frame of camera `cam`. */
export const frame = (i: number): Frame => blankFrame('cam', i, 4, 4);
/** Lets promise callbacks and setImmediate work run. */
export const flush = () => new Promise((r) => setImmediate(r));

/** A tracker that reports one confirmed track per frame and ends it at the end of the stream. */
export class ScriptedTracker implements Tracker {
  readonly cameraId = 'cam';
  private last: Detections | null = null;
  readonly summary: TrackSummary = {
    trackId: 1,
    classId: 0,
    className: 'person',
    firstFrame: 0,
    lastFrame: 0,
    firstPtsMs: 0,
    lastPtsMs: 0,
    hits: 1,
    meanScore: 0.9,
  };
  update(d: Detections): FrameTracks {
    const first = this.last === null;
    this.last = d;
    return {
      kind: 'frame',
      cameraId: 'cam',
      frameIndex: d.frame.frameIndex,
      ptsMs: d.frame.ptsMs,
      width: 4,
      height: 4,
      active: [
        {
          trackId: 1,
          classId: 0,
          className: 'person',
          score: 0.9,
          box: [0, 0, 2, 2],
          mask: null,
          age: d.frame.frameIndex,
        },
      ],
      started: first ? [this.summary] : [],
      ended: [],
      detectionCount: d.count,
      inferenceMs: 0,
    };
  }
  end(): StreamEnded | null {
    if (!this.last) return null;
    return {
      kind: 'stream-ended',
      cameraId: 'cam',
      frameIndex: this.last.frame.frameIndex,
      ptsMs: this.last.frame.ptsMs,
      ended: [{ ...this.summary, endReason: 'end-of-stream' }],
    };
  }
}

/** One detection on frame i. */
export const detections = (i: number) => makeDetections(frame(i), [{ box: [0, 0, 2, 2] }]);

/** A publisher that records what it is given. */
export function recordingPublisher(): TrackPublisher & { readonly got: TrackMessage[]; readonly json: string[] } {
  const got: TrackMessage[] = [],
    json: string[] = [];
  return {
    name: 'test',
    counters: {},
    got,
    json,
    publish: (m, j) => {
      got.push(m);
      json.push(j);
    },
    close: async () => undefined,
  };
}

/** A frame's tracks with one confirmed track (id 1) at `box` (frame pixels, 100×100 frame) and the given tracks ended. */
export const frameTracks = (
  frameIndex: number,
  box: [number, number, number, number],
  ended: number[] = [],
): FrameTracks => ({
  kind: 'frame',
  cameraId: 'cam',
  frameIndex,
  ptsMs: frameIndex * 100,
  width: 100,
  height: 100,
  detectionCount: 1,
  inferenceMs: 0,
  started: [],
  active: [{ trackId: 1, classId: 0, className: 'person', score: 0.9, box, mask: null, age: frameIndex }],
  ended: ended.map((trackId) => ({
    trackId,
    classId: 0,
    className: 'person',
    firstFrame: 0,
    lastFrame: frameIndex,
    firstPtsMs: 0,
    lastPtsMs: frameIndex * 100,
    hits: 3,
    meanScore: 0.9,
  })),
});
