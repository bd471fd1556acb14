// An inference worker that exits on its own (fault injected: the worker thread exits, as on an
// uncaught error or running out of heap) is replaced with the same models, and the frames it held
// are segmented and embedded again: the real model and recording give the same detections and
// embeddings as a run without the fault. A worker that keeps exiting is given up on, with why.
import { resolve } from 'node:path';
import t from 'tap';
import { lastValueFrom, take, toArray } from 'rxjs';
import { parseConfig } from '../config/load.js';
import { InferencePool } from '../models/inference/inference-pool.js';
import { InferenceQueue, InferenceWorkerLostError, type WorkerRestart } from '../models/inference/inference-queue.js';
import { WorkerEmbedder } from '../models/inference/worker-embedder.js';
import { WorkerSegmenter } from '../models/inference/worker-segmenter.js';
import type { Detections } from '../models/detections.js';
import { gstreamerFrames } from '../operators/sources/gstreamer-frames.js';
import { haveInputs, MODEL, VTEST } from './helpers/fixtures.js';

const OSNET = resolve(MODEL, '..', 'osnet_x0_25_msmt17.onnx');
const FRAMES = 12;

t.test(
  'a worker that exits under load is replaced; every frame comes out as without the fault',
  { skip: !haveInputs && 'needs the model and vtest.avi', timeout: 120_000 },
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
        maxFrames: FRAMES,
      }).pipe(take(FRAMES), toArray()),
    );
    /** Segments and embeds every frame at once (both streams busy); `fault` runs once the jobs are queued. */
    const run = async (pool: InferencePool, fault?: (stage: 'segment' | 'embed') => Promise<unknown>) => {
      const { segmenter } = await WorkerSegmenter.load(pool, MODEL, options);
      const { embedder } = await WorkerEmbedder.load(pool, OSNET, ['cpu'], 1);
      const segmenting = Promise.all(frames.map((f) => segmenter.segment(f)));
      await fault?.('segment');
      const detections = await segmenting;
      const embedding = Promise.all(detections.map((d) => embedder.embed(d)));
      await fault?.('embed');
      return embedding;
    };
    const summary = (all: Detections[]) =>
      all.map((d) => ({
        boxes: [...d.boxes],
        classes: [...d.classIds],
        embeddings: [...(d.embeddings ?? [])].map((v) => v.toFixed(5)),
      }));

    const reference = new InferencePool(2);
    const expected = summary(await run(reference));
    await reference.close();
    t.ok(expected.reduce((n, d) => n + d.classes.length, 0) > 20, 'the frames have people in them');

    const restarts: [number, WorkerRestart][] = [];
    const pool = new InferencePool(2, (stream, r) => restarts.push([stream, r]));
    t.teardown(() => pool.close());
    // The fault goes ahead of the waiting jobs (priority -1), so jobs sent after it die with the worker.
    const crash = (stream: number) =>
      t.rejects(
        pool.call({ kind: 'exit', code: 7, stream }, [], -1),
        InferenceWorkerLostError,
        `stream ${stream}'s worker exits`,
      );
    const got = summary(await run(pool, (stage) => crash(stage === 'segment' ? 0 : 1)));
    t.same(got, expected, 'same boxes, classes and embeddings, frame by frame');
    t.same(
      restarts.map(([stream, r]) => [stream, r.exitCode, r.models]),
      [
        [0, 7, 2],
        [1, 7, 2],
      ],
      'each worker replaced once, with both models loaded again',
    );
    t.ok(
      restarts.every(([, r]) => r.lostJobs >= 2),
      `jobs died with the workers and were sent again (${restarts.map(([, r]) => r.lostJobs - 1).join(', ')} besides the fault)`,
    );
  },
);

t.test('a worker that keeps exiting is given up on: jobs reject with why', { timeout: 60_000 }, async (t) => {
  const restarts: WorkerRestart[] = [];
  const queue = InferenceQueue.start((r) => restarts.push(r));
  t.teardown(() => queue.close());
  for (let i = 0; i < 3; i++)
    await t.rejects(queue.call({ kind: 'exit', code: 1 }), InferenceWorkerLostError, `exit ${i + 1}: replaced`);
  t.same(
    restarts.map((r) => r.restartsInWindow),
    [1, 2, 3],
  );
  await t.rejects(queue.call({ kind: 'exit', code: 1 }), InferenceWorkerLostError, 'exit 4');
  await t.rejects(
    queue.call({ kind: 'dispose', model: 1 }),
    /exited 4 times within 60 s \(last: exit code 1\); it is not started again/,
    'then every job rejects, saying why',
  );
  t.equal(restarts.length, 3, 'no fourth replacement');
});

t.test(
  'a stream that gave up on its worker gets no more jobs while another stream holds the model',
  { skip: !haveInputs && 'needs the model and vtest.avi', timeout: 120_000 },
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
        maxFrames: 4,
      }).pipe(take(4), toArray()),
    );
    const pool = new InferencePool(2);
    t.teardown(() => pool.close());
    const { segmenter } = await WorkerSegmenter.load(pool, MODEL, options);
    for (let i = 0; i < 4; i++)
      await t.rejects(pool.call({ kind: 'exit', code: 9, stream: 0 }), InferenceWorkerLostError);
    await t.rejects(pool.call({ kind: 'exit', code: 9, stream: 0 }), /not started again/, 'stream 0 gave up');
    const detections = await Promise.all(frames.map((f) => segmenter.segment(f)));
    t.ok(
      detections.every((d) => d.count > 0),
      'every frame segmented by stream 1',
    );
  },
);
