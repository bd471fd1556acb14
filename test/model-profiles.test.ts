// Model profiles by name and the `auto` choice, on their pure parts: resolving names, files and
// paths; choosing the most accurate profile the cameras' frame rate can afford; swapping a
// segmenter between frames.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { Detections } from '../models/detections.js';
import type { Frame } from '../models/frame.js';
import type { Segmenter } from '../models/segmenter.js';
import { SwitchableSegmenter } from '../models/switchable-segmenter.js';
import { chooseProfile, type CameraDemand } from '../pipeline/model-selection/choose-profile.js';
import {
  availableProfiles,
  MODEL_PROFILES,
  resolveModel,
  UnknownModelError,
  type AvailableProfile,
} from '../pipeline/model-selection/model-profiles.js';
import { blankFrame } from './helpers/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'edgevis-profiles-'));
for (const f of ['yolo11n-seg_480_fp32.onnx', 'yolov8n-seg_fp32.onnx', 'custom.onnx']) writeFileSync(join(dir, f), 'x');

t.test('names, files and paths resolve; an unknown name lists what exists here', async (t) => {
  t.match(resolveModel('yolo11n-seg-480', [dir]), {
    path: join(dir, 'yolo11n-seg_480_fp32.onnx'),
    name: 'yolo11n-seg-480',
  });
  t.match(
    resolveModel('yolov8n-seg_fp32.onnx', [dir]),
    { name: 'yolov8n-seg-320' },
    "a profile's file counts as the profile",
  );
  t.match(resolveModel(join(dir, 'custom.onnx'), []), { name: 'custom', profile: null }, 'any other file by path');
  const err = (() => {
    try {
      resolveModel('yolo11n-seg-999', [dir]);
      return null;
    } catch (e) {
      return e as Error;
    }
  })();
  t.ok(err instanceof UnknownModelError, 'an unknown name is an error');
  t.match(
    err?.message,
    /Profiles available here: yolo11n-seg-480, yolov8n-seg-320/,
    'naming the profiles whose files exist',
  );
  t.match(err?.message, /looked in:/);
  t.throws(
    () => resolveModel('yolo11n-seg-640', [dir]),
    /known, but its file yolo11n-seg_640_fp32.onnx is not in the model folders/,
  );
  t.throws(
    () => resolveModel('/nowhere/absent.onnx', [dir]),
    /model absent\.onnx not found; looked in:\n\s+- \/nowhere\/absent\.onnx\nFix: pass --model/,
    'a missing path says where it looked and how to fix it',
  );
  t.same(
    availableProfiles([dir]).map((a) => a.profile.name),
    ['yolo11n-seg-480', 'yolov8n-seg-320'],
    'available, most accurate first',
  );
});

t.test('auto chooses the most accurate profile the live cameras can afford', async (t) => {
  const candidates: AvailableProfile[] = MODEL_PROFILES.map((profile) => ({ profile, path: `/m/${profile.file}` }));
  const cost: Record<string, number> = { 'yolo11n-seg-480': 80, 'yolo11n-seg-640': 110, 'yolov8n-seg-320': 30 };
  const alone: Record<string, number> = { 'yolo11n-seg-480': 45, 'yolo11n-seg-640': 70, 'yolov8n-seg-320': 20 };
  const asked: string[] = [];
  const costOf = async (p: AvailableProfile) => {
    asked.push(p.profile.name);
    return { cpuMsPerFrame: cost[p.profile.name], latencyMs: alone[p.profile.name] };
  };
  const budget = { cores: 2, headroom: 0.75, decodeMsPerFrame: 1 };
  const live = (n: number, fps = 10): CameraDemand[] =>
    Array.from({ length: n }, (_, i) => ({ id: `c${i}`, fps, assumed: false }));

  let c = await chooseProfile(candidates, live(1), budget, costOf);
  t.equal(c.chosen.profile.name, 'yolo11n-seg-480', 'one 10 fps camera: 10 × 81 ms = 41 % of 2 cores');
  t.same(asked, ['yolo11n-seg-480'], 'only what the choice needs is measured');
  t.match(c.reason, /41 % of 2 cores with yolo11n-seg-480/);
  asked.length = 0;
  c = await chooseProfile(candidates, live(4), budget, costOf);
  t.equal(c.chosen.profile.name, 'yolov8n-seg-320', 'four 10 fps cameras fall back: 480 would need 162 %, 640 222 %');
  t.same(asked, ['yolo11n-seg-480', 'yolo11n-seg-640', 'yolov8n-seg-320']);
  t.match(c.reason, /more accurate ones would need yolo11n-seg-480 162 %, yolo11n-seg-640 222 %/);
  c = await chooseProfile(candidates, live(8, 25), budget, costOf);
  t.equal(c.chosen.profile.name, 'yolov8n-seg-320', 'nothing fits: the cheapest');
  t.match(c.reason, /no profile fits/);
  c = await chooseProfile(candidates, live(1, 25), { ...budget, cores: 16 }, costOf);
  t.equal(
    c.chosen.profile.name,
    'yolov8n-seg-320',
    'one 25 fps camera outruns 480 (45 ms a frame alone: 22 frames/s) even with 16 cores free',
  );
  t.match(c.reason, /yolo11n-seg-480 45 ms per frame alone/);
  c = await chooseProfile(candidates, [{ id: 'file', fps: null, assumed: false }], budget, costOf);
  t.equal(c.chosen.profile.name, 'yolo11n-seg-480', 'a file read at full speed: the most accurate');
  asked.length = 0;
  c = await chooseProfile(candidates, live(8, 25), budget, costOf, true);
  t.same([c.chosen.profile.name, asked], ['yolo11n-seg-480', []], 'on a GPU: the most accurate, nothing measured');
  c = await chooseProfile(
    candidates,
    [
      { id: 'a', fps: 10, assumed: true },
      { id: 'f', fps: null, assumed: false },
    ],
    budget,
    costOf,
  );
  t.match(
    c.reason,
    /1 live camera at 10 frames\/s in total \(1 assumed at 10 until they stream\)/,
    'an assumed frame rate is said so',
  );
  await t.rejects(chooseProfile([], live(1), budget, costOf), /no segmentation profile/);
});

/** A segmenter that answers when told to, recording the frames it got. */
function manualSegmenter(name: string) {
  const pending: (() => void)[] = [];
  const got: number[] = [];
  let disposed = false;
  const segmenter: Segmenter = {
    classNames: ['person'],
    inputWidth: 1,
    inputHeight: 1,
    executionProvider: name,
    segment: (frame: Frame) => {
      got.push(frame.frameIndex);
      return new Promise<Detections>((resolve) =>
        pending.push(() =>
          resolve({
            frame,
            count: 0,
            boxes: new Float32Array(0),
            scores: new Float32Array(0),
            classIds: new Int32Array(0),
            classNames: ['person'],
            masks: [],
            embeddings: null,
            embeddingDim: 0,
            inferenceMs: 0,
          }),
        ),
      );
    },
    dispose: async () => {
      disposed = true;
    },
  };
  return {
    segmenter,
    got,
    finish: () => {
      for (const p of pending.splice(0)) p();
    },
    disposed: () => disposed,
  };
}

t.test('a switch takes effect between frames and hands the old model back once its frames are done', async (t) => {
  const a = manualSegmenter('a'),
    b = manualSegmenter('b');
  const s = new SwitchableSegmenter(a.segmenter, 'a');
  const first = s.segment(blankFrame('cam', 1, 4, 4));
  let handedBack = false;
  const switched = s.switchTo(b.segmenter, 'b').then((old) => {
    handedBack = true;
    return old;
  });
  const second = s.segment(blankFrame('cam', 2, 4, 4));
  t.same([a.got, b.got, s.name], [[1], [2], 'b'], 'frame 1 stays with the old model, frame 2 goes to the new one');
  await new Promise((r) => setImmediate(r));
  t.notOk(handedBack, 'the old model is not handed back while it has a frame');
  a.finish();
  b.finish();
  t.equal(await switched, a.segmenter, 'then it is');
  t.same([(await first).frame.frameIndex, (await second).frame.frameIndex], [1, 2], 'both frames come out');
  t.equal(s.executionProvider, 'b');
});
