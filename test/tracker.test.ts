import t from 'tap';
import { trackerSchema } from '../config/schema.js';
import { MemoryTracker } from '../models/tracking/memory-tracker.js';
import type { FrameTracks } from '../models/tracks.js';
import { blankFrame, makeDetections } from './helpers/fixtures.js';

const options = trackerSchema.parse({});
type Item = Parameters<typeof makeDetections>[1][number];

function run(tracker: MemoryTracker, frames: Item[][], cameraId = 'cam'): FrameTracks[] {
  return frames.map((items, i) => tracker.update(makeDetections(blankFrame(cameraId, i), items)));
}
const idAt = (tracks: FrameTracks, x: number) => tracks.active.find((a) => a.box[0] <= x && x <= a.box[2])?.trackId;

t.test('two people crossing keep their ids', async (t) => {
  const red = [1, 0, 0, 0],
    blue = [0, 1, 0, 0];
  const frames: Item[][] = [];
  for (let i = 0; i < 40; i++) {
    frames.push([
      { box: [20 + 10 * i, 100, 60 + 10 * i, 200], embedding: red },
      { box: [420 - 10 * i, 105, 460 - 10 * i, 205], embedding: blue },
    ]);
  }
  const out = run(new MemoryTracker('cam', options), frames);
  const redId = idAt(out[5], 90)!,
    blueId = idAt(out[5], 390)!;
  t.ok(redId && blueId && redId !== blueId, 'two confirmed tracks before the crossing');
  const last = out[39];
  t.equal(idAt(last, 20 + 10 * 39 + 20), redId, 'the red one, now on the right, keeps its id');
  t.equal(idAt(last, 420 - 10 * 39 + 20), blueId, 'the blue one, now on the left, keeps its id');
  t.equal(
    out.reduce((n, f) => n + f.started.length, 0),
    2,
    'no new tracks were started',
  );
});

t.test('an object occluded for 20 frames comes back with its old id', async (t) => {
  const look = [0.2, 0.9, 0.1, 0.3];
  const frames: Item[][] = [];
  for (let i = 0; i < 50; i++) {
    const x = 100 + 3 * i;
    frames.push(i >= 15 && i < 35 ? [] : [{ box: [x, 100, x + 40, 200], embedding: look }]);
  }
  const out = run(new MemoryTracker('cam', options), frames);
  const before = out[14].active[0]?.trackId;
  t.ok(before, 'tracked before the occlusion');
  t.equal(out[20].active.length, 0, 'nothing published while occluded');
  t.equal(out[35].active[0]?.trackId, before, 'same id after 20 frames of occlusion');
  t.equal(
    out.reduce((n, f) => n + f.ended.length, 0),
    0,
    'the track never ended',
  );
});

t.test('a lost track is re-identified by appearance after a jump (re-entry)', async (t) => {
  const look = [0.9, 0.1, 0.4, 0.0];
  const frames: Item[][] = [];
  for (let i = 0; i < 10; i++) frames.push([{ box: [100, 100, 140, 200], embedding: look }]);
  for (let i = 0; i < 10; i++) frames.push([]);
  for (let i = 0; i < 5; i++) frames.push([{ box: [250, 110, 290, 210], embedding: look }]); // reappears 150 px away
  const out = run(new MemoryTracker('cam', options), frames);
  t.equal(out[20].active[0]?.trackId, out[9].active[0]?.trackId, 're-identified with its old id');
});

t.test('a detection of another class does not steal a track', async (t) => {
  const frames: Item[][] = [];
  for (let i = 0; i < 6; i++) frames.push([{ box: [100, 100, 140, 200], classId: 0 }]);
  for (let i = 0; i < 6; i++) frames.push([{ box: [100, 100, 140, 200], classId: 1 }]);
  const out = run(new MemoryTracker('cam', options), frames);
  const person = out[5].active[0];
  t.equal(person.className, 'person');
  const car = out[11].active[0];
  t.equal(car.className, 'car');
  t.not(car.trackId, person.trackId, 'the car got its own track');
});

t.test('two cameras never share state', async (t) => {
  const a = new MemoryTracker('a', options),
    b = new MemoryTracker('b', options);
  const frames: Item[][] = Array.from({ length: 5 }, () => [
    { box: [10, 10, 50, 110] as [number, number, number, number] },
  ]);
  const outA = run(a, frames, 'a');
  const outB = run(b, frames, 'b');
  t.equal(outA[4].active[0].trackId, 1);
  t.equal(outB[4].active[0].trackId, 1, 'camera b numbers its own tracks');
  t.equal(a.size, 1);
  t.throws(() => a.update(makeDetections(blankFrame('b', 5), [])), /camera 'a' got a frame of camera 'b'/);
});

t.test('lifecycle: confirmed after confirmHits, ended after maxLostFrames, summary counts', async (t) => {
  const tracker = new MemoryTracker('cam', { ...options, confirmHits: 3, maxLostFrames: 5 });
  const frames: Item[][] = [];
  for (let i = 0; i < 8; i++) frames.push([{ box: [100, 100, 140, 200], score: 0.8 }]);
  for (let i = 0; i < 7; i++) frames.push([]);
  const out = run(tracker, frames);
  t.equal(out[1].active.length, 0, 'tentative tracks are not published');
  t.equal(out[2].started.length, 1, 'confirmed on the 3rd hit');
  const endedAt = out.findIndex((f) => f.ended.length > 0);
  t.equal(endedAt, 13, 'removed after more than 5 lost frames');
  t.match(out[endedAt].ended[0], { trackId: 1, firstFrame: 0, lastFrame: 7, hits: 8, endReason: 'lost-timeout' });
});

t.test('same input gives the same output', async (t) => {
  const frames: Item[][] = [];
  for (let i = 0; i < 30; i++) {
    frames.push([
      { box: [10 + 7 * i, 50, 50 + 7 * i, 150], score: 0.5 + (i % 5) / 10, embedding: [1, i % 3, 0, 0] },
      { box: [300 - 5 * i, 60, 340 - 5 * i, 160], score: 0.9, embedding: [0, 1, i % 2, 0] },
    ]);
  }
  const a = JSON.stringify(run(new MemoryTracker('cam', options), frames));
  const b = JSON.stringify(run(new MemoryTracker('cam', options), frames));
  t.equal(a, b);
});

t.test(
  'after an outage longer than maxLostSeconds every open track ends (lost-timeout), even if the person is still there',
  async (t) => {
    const { MemoryTracker } = await import('../models/tracking/memory-tracker.js');
    const { parseConfig } = await import('../config/load.js');
    const { blankFrame, makeDetections } = await import('./helpers/fixtures.js');
    const options = parseConfig({ cameras: [{ id: 'cam', source: 'x' }] }, 'test').tracker;
    const tracker = new MemoryTracker('cam', options);
    const person = (i: number) =>
      makeDetections(blankFrame('cam', i), [{ box: [100 + i, 100, 140 + i, 200], score: 0.9 }]);
    for (let i = 0; i < 5; i++) tracker.update(person(i));
    const frameAfter = { ...blankFrame('cam', 405), ptsMs: 40_500 }; // 40 s later, the same person in the same place
    const after = tracker.update(makeDetections(frameAfter, [{ box: [105, 100, 145, 200], score: 0.9 }]));
    t.same(
      after.ended.map((e) => [e.trackId, e.endReason]),
      [[1, 'lost-timeout']],
      'the old track ended',
    );
    t.same(
      after.active.map((a) => a.trackId),
      [],
      'and was not revived (a new one starts after confirmHits)',
    );
  },
);

t.test(
  'dropped frames: motion is stepped by media time, so a fast walker keeps its id across irregular gaps',
  async (t) => {
    // 15 px per 100 ms frame, a 40 px wide box; frames processed irregularly (a live camera's
    // newest-wins sampler): gaps of 1 to 4 intervals. Counting each gap as one interval, the
    // prediction falls 30-45 px behind after a long gap and loses the overlap.
    const processed = [0, 1, 2, 3, 4, 5, 8, 9, 13, 14, 15, 19, 20, 21, 24, 28, 29, 30, 34, 35];
    const frameAt = (i: number, interval?: number) => ({
      ...blankFrame('cam', i),
      ...(interval ? { frameIntervalMs: interval } : {}),
    });
    const walk = (interval?: number) => {
      const tracker = new MemoryTracker('cam', options);
      return processed.map((i) =>
        tracker.update(makeDetections(frameAt(i, interval), [{ box: [50 + 15 * i, 100, 90 + 15 * i, 200] }])),
      );
    };
    const ids = (out: FrameTracks[]) => new Set(out.flatMap((f) => f.active.map((a) => a.trackId)));
    t.same([...ids(walk(100))], [1], 'one id from start to end with the declared 100 ms interval');
    t.same([...ids(walk())], [1], 'and with the interval learnt from the smallest step');
    const { KalmanBoxFilter } = await import('../models/tracking/kalman-box.js');
    const a = new KalmanBoxFilter([0, 0, 10, 20]),
      b = new KalmanBoxFilter([0, 0, 10, 20]);
    for (const k of [a, b]) {
      k.update([5, 0, 15, 20]);
      k.update([10, 0, 20, 20]);
    }
    a.predict(3);
    b.predict();
    b.predict();
    b.predict();
    t.same(
      Array.from(a.mean.slice(0, 4)).map((v) => v.toFixed(6)),
      Array.from(b.mean.slice(0, 4)).map((v) => v.toFixed(6)),
      'predicting 3 intervals at once moves the box as 3 single steps do',
    );
    t.same(
      a.predictedBox(2).map((v) => v.toFixed(6)),
      (() => {
        const c = new KalmanBoxFilter([0, 0, 10, 20]);
        c.update([5, 0, 15, 20]);
        c.update([10, 0, 20, 20]);
        c.predict(3);
        c.predict(2);
        return c.box().map((v) => v.toFixed(6));
      })(),
      'predictedBox(steps) is the box predict(steps) gives',
    );
  },
);
