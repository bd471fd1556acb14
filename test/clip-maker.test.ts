// When event clips open, join, end and are cut (issue 24): a fake clock and recorder, no video. The
// post-roll counts from when the last track ended (it was pushed on by every later frame, so a clip
// in a scene with frames never closed); a clip open too long, or pinning half the quota, is cut and
// goes on in a clip that continues it; every clip's pin is released.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import type { FrameTracks, TrackSummary } from '../models/tracks.js';
import type { CameraRecorder } from '../pipeline/media/camera-recorder.js';
import { ClipMaker, type ClipSettings } from '../pipeline/media/clip-maker.js';

const summary = (trackId: number): TrackSummary => ({
  trackId,
  classId: 0,
  className: 'person',
  firstFrame: 0,
  lastFrame: 0,
  firstPtsMs: 0,
  lastPtsMs: 0,
  hits: 10,
  meanScore: 0.9,
});
const item = (frameIndex: number, started: number[] = [], ended: number[] = []): FrameTracks => ({
  kind: 'frame',
  cameraId: 'gate',
  frameIndex,
  ptsMs: frameIndex * 100,
  width: 64,
  height: 48,
  active: [],
  started: started.map(summary),
  ended: ended.map(summary),
  detectionCount: 0,
  inferenceMs: 0,
});

/** A clip maker on a clock the test moves, with a recorder that records nothing (clips fail to be made, as they should: their pins are released). */
function setUp(settings: Partial<ClipSettings> = {}, pinnedBytes = 0) {
  let now = 1_000_000;
  const pins: [string, number | null][] = [];
  const recorder = {
    dir: mkdtempSync(join(tmpdir(), 'edgevis-clip-maker-')),
    settings: { enabled: true, segmentSeconds: 2, maxBytes: 1_000_000, maxAgeHours: 0 },
    pin: (owner: string, from: number | null) => {
      pins.push([owner, from]);
    },
    bytesSince: () => pinnedBytes,
    openSegment: null,
    segmentsBetween: () => [],
    noteWritten: () => undefined,
  } as unknown as CameraRecorder;
  const clips = new ClipMaker(
    'gate',
    join(recorder.dir, 'clips'),
    {
      enabled: true,
      preRollSeconds: 2,
      postRollSeconds: 3,
      events: ['track_started'],
      classes: [],
      maxSeconds: 300,
      ...settings,
    },
    recorder,
    0,
    () => undefined,
    pino({ level: 'silent' }),
    () => now,
  );
  let frame = 0;
  /** Frames every 100 ms for `ms`, the last one with these starts and ends; returns its clip marks. */
  const run = (ms: number, started: number[] = [], ended: number[] = []) => {
    let marks = null;
    for (let t = 100; t <= ms; t += 100) {
      now += 100;
      marks = clips.observe(t + 100 > ms ? item(frame++, started, ended) : item(frame++));
    }
    return marks;
  };
  return {
    clips,
    pins,
    run,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

t.test('a clip ends its post-roll after its last track ended, while frames keep coming', async (t) => {
  const { clips, pins, run } = setUp();
  t.same(run(100, [1]), { 'gate:0:1:started': 'gate-0-1' }, 'a start opens clip 1');
  t.same(run(5000, [], [1]), { 'gate:0:1:ended': 'gate-0-1' }, 'its track ends in it');
  run(10_000); // 10 s of frames without a track: the post-roll (3 s) is long over
  t.same(run(100, [2]), { 'gate:0:2:started': 'gate-0-2' }, 'the next event opens a new clip: the first one ended');
  await clips.close();
  t.same(
    pins.filter(([, from]) => from === null).map(([id]) => id),
    ['gate-0-1', 'gate-0-2'],
    'each clip released its pin once made (or not)',
  );
});

t.test('an event during the post-roll keeps the clip open', async (t) => {
  const { clips, run } = setUp();
  run(100, [1]);
  run(1000, [], [1]);
  t.same(run(2000, [2]), { 'gate:0:2:started': 'gate-0-1' }, 'within the post-roll: the same clip');
  await clips.close();
});

t.test('a busy scene gives consecutive clips of at most maxSeconds, the tracks going on in the next', async (t) => {
  const { clips, pins, run } = setUp({ maxSeconds: 10 });
  run(100, [1]);
  run(35_000); // one track open for 35 s
  t.same(run(100, [], [1]), { 'gate:0:1:ended': 'gate-0-4' }, 'its end is in the clip that continues the activity');
  const opened = pins.filter(([, from]) => from !== null);
  t.same(
    opened.map(([id]) => id),
    ['gate-0-1', 'gate-0-2', 'gate-0-3', 'gate-0-4'],
    'cut every 10 s',
  );
  t.ok(
    opened.slice(1).every(([, from], i) => from! - opened[i][1]! <= 10_000 + 500),
    'each clip starts at most maxSeconds after the one before',
  );
  await clips.close();
  t.equal(pins.filter(([, from]) => from === null).length, 4, 'all pins released');
});

t.test("a clip that pins half the folder's quota is cut too", async (t) => {
  const { clips, pins, run } = setUp({ maxSeconds: 300 }, 600_000);
  run(100, [1]);
  run(3000);
  t.equal(pins.filter(([, from]) => from !== null).length, 1, 'not before it holds its pre-roll and two segments');
  run(3000);
  t.ok(pins.filter(([, from]) => from !== null).length >= 2, 'then cut');
  await clips.close();
});
