// segmentInstances: frames start at once, come out in order; a failure arrives in order.
import { lastValueFrom, Subject, toArray } from 'rxjs';
import t from 'tap';
import type { Detections } from '../models/detections.js';
import type { Frame } from '../models/frame.js';
import { segmentInstances } from '../operators/segment-instances.js';
import { makeDetections } from './helpers/fixtures.js';
import { frame } from './helpers/operator-doubles.js';

t.test(
  'segmentInstances starts each frame at once but emits in frame order; a failure arrives in order, never as an unhandled rejection',
  async (t) => {
    const started: number[] = [];
    const delays = [30, 5, 15]; // the first frame takes longest
    const segmenter = {
      classNames: ['person'],
      inputWidth: 4,
      inputHeight: 4,
      executionProvider: 'cpu',
      segment: (f: Frame) => {
        started.push(f.frameIndex);
        return new Promise<Detections>((resolve) =>
          setTimeout(() => resolve(makeDetections(f, [])), delays[f.frameIndex]),
        );
      },
      dispose: async () => undefined,
    };
    const frames = new Subject<Frame>();
    const out = lastValueFrom(frames.pipe(segmentInstances(segmenter), toArray()));
    for (let i = 0; i < 3; i++) frames.next(frame(i));
    t.same(started, [0, 1, 2], 'all three started before the first finished');
    frames.complete();
    t.same(
      (await out).map((d) => d.frame.frameIndex),
      [0, 1, 2],
      'emitted in frame order',
    );

    let unhandled = 0;
    const onUnhandled = () => {
      unhandled++;
    };
    process.on('unhandledRejection', onUnhandled);
    const failing = {
      ...segmenter,
      segment: (f: Frame) =>
        f.frameIndex === 1 ? Promise.reject(new Error('model failed on frame 1')) : segmenter.segment(f),
    };
    const failed = new Subject<Frame>();
    const result = lastValueFrom(failed.pipe(segmentInstances(failing), toArray()));
    for (let i = 0; i < 3; i++) failed.next(frame(i));
    await t.rejects(result, /model failed on frame 1/, 'the error ends the stream after frame 0');
    await new Promise((r) => setTimeout(r, 50));
    process.off('unhandledRejection', onUnhandled);
    t.equal(unhandled, 0, 'the early rejection was not reported as unhandled');
  },
);
