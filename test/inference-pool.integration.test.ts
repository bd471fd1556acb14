// The CPU inference streams on the real model and recording: a model loaded into two streams gives
// the same detections as the in-process segmenter, jobs spread over both streams, and handles map right.
import t from 'tap';
import { lastValueFrom, take, toArray } from 'rxjs';
import { parseConfig } from '../config/load.js';
import { InferencePool } from '../models/inference/inference-pool.js';
import { WorkerSegmenter } from '../models/inference/worker-segmenter.js';
import { YoloSegmenter } from '../models/yolo-segmenter.js';
import { gstreamerFrames } from '../operators/sources/gstreamer-frames.js';
import { cpuInferenceLayout } from '../pipeline/model-selection/model-registry.js';
import { haveInputs, MODEL, VTEST } from './helpers/fixtures.js';

t.test('cpuInferenceLayout: auto is 2 streams sharing the cores; explicit values win', async (t) => {
  t.same(cpuInferenceLayout({ cpuStreams: 0, intraOpThreads: 0 }, 2), { streams: 2, intraOpThreads: 1 });
  t.same(cpuInferenceLayout({ cpuStreams: 0, intraOpThreads: 0 }, 1), { streams: 1, intraOpThreads: 1 });
  t.same(cpuInferenceLayout({ cpuStreams: 0, intraOpThreads: 0 }, 16), { streams: 2, intraOpThreads: 8 });
  t.same(cpuInferenceLayout({ cpuStreams: 1, intraOpThreads: 0 }, 4), { streams: 1, intraOpThreads: 4 });
  t.same(cpuInferenceLayout({ cpuStreams: 3, intraOpThreads: 2 }, 4), { streams: 3, intraOpThreads: 2 });
});

t.test(
  'two CPU streams: same detections as the in-process segmenter, frames inferred in parallel',
  { skip: !haveInputs && 'needs the model and vtest.avi' },
  async (t) => {
    const options = {
      ...parseConfig({ cameras: [{ id: 'c', source: VTEST }] }, 'test').model,
      executionProviders: ['cpu' as const],
      classes: ['person'],
      intraOpThreads: 1,
    };
    const frames = await lastValueFrom(
      gstreamerFrames({
        cameraId: 'c',
        kind: 'file',
        source: VTEST,
        realtime: false,
        folderFps: 10,
        rtspLatencyMs: 0,
        maxFrames: 6,
      }).pipe(take(6), toArray()),
    );
    const { segmenter: direct } = await YoloSegmenter.load(MODEL, options);
    const expected = [];
    for (const f of frames) expected.push(await direct.segment(f));
    await direct.dispose();

    const pool = new InferencePool(2);
    t.teardown(() => pool.close());
    const { segmenter } = await WorkerSegmenter.load(pool, MODEL, options);
    const got = await Promise.all(frames.map((f) => segmenter.segment(f))); // all at once: both streams busy
    t.same(
      got.map((d) => [...d.boxes]),
      expected.map((d) => [...d.boxes]),
      'same boxes, frame by frame',
    );
    t.same(
      got.map((d) => d.masks.map((m) => m && [...m.data].reduce((a, b) => a + b, 0))),
      expected.map((d) => d.masks.map((m) => m && [...m.data].reduce((a, b) => a + b, 0))),
      'same mask areas',
    );
    t.ok(
      expected.some((d) => d.count > 0),
      'the frames have people in them',
    );
    await segmenter.dispose();
    await t.rejects(segmenter.segment(frames[0]), /not loaded/, 'a disposed model is gone from every stream');
  },
);

t.test('an InferencePool needs at least one stream', async (t) => {
  t.throws(() => new InferencePool(0), /positive integer/);
});
