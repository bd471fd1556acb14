// Which detections the tracker asks the embedder for (MemoryTracker.appearanceDemand): pure unit tests, synthetic boxes.
import t from 'tap';
import { trackerSchema } from '../config/schema.js';
import { embeddedCount, withEmbeddings, type Detections } from '../models/detections.js';
import { MemoryTracker } from '../models/tracking/memory-tracker.js';
import type { FrameTracks } from '../models/tracks.js';
import { blankFrame, makeDetections } from './helpers/fixtures.js';

type Item = Parameters<typeof makeDetections>[1][number];
const trackerWith = (appearanceRefreshFrames: number) =>
  new MemoryTracker('cam', trackerSchema.parse({ appearanceRefreshFrames }));

/** Runs frames as the graph does: ask for the demand, zero the rows not asked for, update. */
function runSelective(
  tracker: MemoryTracker,
  frames: Item[][],
): { out: FrameTracks[]; demands: (Uint8Array | null)[] } {
  const out: FrameTracks[] = [],
    demands: (Uint8Array | null)[] = [];
  frames.forEach((items, i) => {
    const all = makeDetections(blankFrame('cam', i), items);
    const wanted = tracker.appearanceDemand(all);
    demands.push(wanted);
    out.push(tracker.update(wanted ? onlyWanted(all, wanted) : all));
  });
  return { out, demands };
}
function onlyWanted(det: Detections, wanted: Uint8Array): Detections {
  const e = det.embeddings!.slice();
  for (let i = 0; i < det.count; i++) if (!wanted[i]) e.fill(0, i * det.embeddingDim, (i + 1) * det.embeddingDim);
  return withEmbeddings(det, e, det.embeddingDim, wanted);
}
const ids = (out: FrameTracks[]) =>
  out.map((f) => f.active.map((a) => `${a.trackId}:${Math.round(a.box[0])}`).join(' '));

t.test('0 asks for every detection (null)', async (t) => {
  t.equal(
    trackerWith(0).appearanceDemand(makeDetections(blankFrame('cam', 0), [{ box: [0, 0, 10, 20], embedding: [1, 0] }])),
    null,
  );
});

t.test('a lone walker: embedded while its track starts, then only every appearanceRefreshFrames frames', async (t) => {
  const frames: Item[][] = Array.from({ length: 40 }, (_, i) => [
    { box: [100 + 2 * i, 100, 140 + 2 * i, 200], embedding: [1, 0.2, 0] },
  ]);
  const { demands } = runSelective(trackerWith(10), frames);
  t.equal(demands[0]![0], 1, 'first sight: no candidate track, it may start one');
  const later = demands.slice(10).map((d) => d![0]);
  const embedded = later.reduce((n: number, v) => n + v, 0);
  t.ok(embedded >= 2 && embedded <= 4, `frames 10-39 embedded ${embedded} times (a refresh every 10 frames)`);
  for (let i = 1; i < later.length; i++)
    if (later[i] && later[i - 1]) t.fail(`embedded on consecutive frames ${i + 9} and ${i + 10}`);
  const every = runSelective(trackerWith(1), frames)
    .demands.slice(10)
    .map((d) => d![0]);
  t.same(
    every,
    every.map(() => 1),
    'with 1 the memory takes every confident, unoccluded view',
  );
});

t.test('never asks for what cannot be used: below lowScoreThreshold, or claimed but not memorable', async (t) => {
  const tracker = trackerWith(1);
  const frames: Item[][] = Array.from({ length: 8 }, (_, i) => [
    { box: [100 + i, 100, 140 + i, 200], embedding: [1, 0, 0] },
  ]);
  runSelective(tracker, frames);
  const det = makeDetections(blankFrame('cam', 8), [
    { box: [108, 100, 148, 200], score: 0.55, embedding: [1, 0, 0] }, // claimed by the track, below memoryMinScore (0.6)
    { box: [400, 100, 440, 200], score: 0.1, embedding: [0, 1, 0] }, // below lowScoreThreshold (0.25)
  ]);
  t.same([...tracker.appearanceDemand(det)!], [0, 0]);
});

t.test(
  'ambiguity asks for appearance: two tracks overlapping one detection, and a lost track within the re-identification radius',
  async (t) => {
    const tracker = trackerWith(50);
    const frames: Item[][] = Array.from({ length: 10 }, (_, _i) => [
      { box: [100, 100, 140, 200], embedding: [1, 0, 0] },
      { box: [300, 100, 340, 200], embedding: [0, 1, 0] },
    ]);
    for (let i = 0; i < 3; i++) frames.push([{ box: [100, 100, 140, 200], embedding: [1, 0, 0] }]); // the second one is lost
    runSelective(tracker, frames);
    const claimed = makeDetections(blankFrame('cam', 13), [{ box: [100, 100, 140, 200], embedding: [1, 0, 0] }]);
    t.same(
      [...tracker.appearanceDemand(claimed)!],
      [0],
      'claimed by its track, memory fresh: lost tracks nearby are not compared',
    );
    const near = makeDetections(blankFrame('cam', 13), [
      { box: [100, 100, 140, 200], embedding: [1, 0, 0] },
      { box: [330, 100, 370, 200], embedding: [0, 1, 0] },
    ]);
    t.same(
      [...tracker.appearanceDemand(near)!],
      [0, 1],
      "a detection within the lost track's re-identification radius is compared to its memory",
    );
    const between = makeDetections(blankFrame('cam', 13), [
      { box: [100, 100, 140, 200], embedding: [1, 0, 0] },
      { box: [120, 100, 160, 200], embedding: [0, 1, 0] },
    ]);
    t.same([...tracker.appearanceDemand(between)!], [1, 1], 'two detections overlapping one track: both ambiguous');
  },
);

t.test(
  'with the default (1) the decisions are the same as with every detection embedded: people crossing, occluded, re-entering',
  async (t) => {
    const red = [1, 0, 0, 0],
      blue = [0, 1, 0, 0],
      green = [0, 0, 1, 0.2];
    const frames: Item[][] = [];
    for (let i = 0; i < 60; i++) {
      const items: Item[] = [
        { box: [20 + 8 * i, 100, 60 + 8 * i, 200], embedding: red, score: 0.5 + (0.4 * ((i * 7) % 5)) / 4 },
        { box: [500 - 8 * i, 104, 540 - 8 * i, 204], embedding: blue },
      ];
      if (i < 15 || i > 30)
        items.push({ box: [200 + (i > 30 ? 120 : 0), 300, 240 + (i > 30 ? 120 : 0), 400], embedding: green }); // leaves, comes back elsewhere
      frames.push(items);
    }
    const selective = runSelective(trackerWith(1), frames);
    const reference = runSelective(trackerWith(0), frames);
    t.same(ids(selective.out), ids(reference.out), 'same tracks, ids and boxes on every frame');
    const asked = selective.demands.reduce((n, d, i) => n + (d ? d.reduce((a, b) => a + b, 0) : frames[i].length), 0);
    const all = frames.reduce((n, f) => n + f.length, 0);
    t.ok(asked < all, `fewer embeddings asked for (${asked} of ${all})`);
    const redId = selective.out[5].active.find((a) => a.box[0] < 100)?.trackId;
    t.ok(
      redId && selective.out[59].active.some((a) => a.trackId === redId && a.box[0] > 400),
      'red kept its id through the crossing',
    );
  },
);

t.test('embeddedCount and withEmbeddings flags', async (t) => {
  const det = makeDetections(blankFrame('cam', 0), [
    { box: [0, 0, 1, 1], embedding: [1, 0] },
    { box: [2, 2, 3, 3], embedding: [0, 1] },
  ]);
  t.equal(embeddedCount(det), 2, 'no flags: every row');
  t.equal(embeddedCount(withEmbeddings(det, det.embeddings!, 2, Uint8Array.of(0, 1))), 1);
  t.throws(() => withEmbeddings(det, det.embeddings!, 2, Uint8Array.of(1)), /flags length/);
});
