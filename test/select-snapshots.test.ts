// select snapshots: see operators/select-snapshots.ts.
import t from 'tap';
import type { SnapshotSelector, TrackSnapshot } from '../models/analytics/snapshot-selector.js';
import type { FrameTracks, Tracks } from '../models/tracks.js';
import { selectSnapshots } from '../operators/select-snapshots.js';
import { marbles } from './helpers/marbles.js';

const item = (frameIndex: number, box: [number, number, number, number], ended: number[] = []): FrameTracks => ({
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

t.test("selectSnapshots: a track's snapshot when it ends, and the item names it", async (t) => {
  const given: TrackSnapshot[] = [];
  const shot = { trackId: 3 } as TrackSnapshot;
  const selector = {
    observe: (x: Tracks) => (x.ended.some((e) => e.trackId === 3) ? [shot] : []),
  } as unknown as SnapshotSelector;
  marbles(t).run(({ cold, expectObservable }) => {
    const a = item(0, [0, 0, 10, 10]),
      c = item(2, [0, 0, 10, 10], [3]);
    expectObservable(cold<Tracks>('a-c|', { a, c }).pipe(selectSnapshots(selector, (s) => given.push(s)))).toBe(
      'a-c|',
      { a, c: { ...c, snapshotted: [3] } },
    );
  });
  t.same(given, [shot], 'handed over once, when the track ended');
});
