// Unit tests of the graph's operators and the frame credit: no model, no GStreamer, milliseconds.
import t from 'tap';
import { lastValueFrom, of, Subject, toArray } from 'rxjs';
import type { Detections } from '../models/detections.js';
import type { Frame } from '../models/frame.js';
import type { Tracker } from '../models/tracker.js';
import type { FrameTracks, StreamEnded, Tracks, TrackSummary } from '../models/tracks.js';
import { FrameCredit } from '../operators/backpressure/frame-credit.js';
import { gatherClips, type ClipGatherer } from '../operators/gather-clips.js';
import { publishTracks, type TrackPublisher } from '../operators/publish-tracks.js';
import { MessageSequence } from '../operators/wire/message-sequence.js';
import { releaseFrame } from '../operators/release-frame.js';
import { sampleFrames } from '../operators/sample-frames.js';
import { segmentInstances } from '../operators/segment-instances.js';
import { trackInstances } from '../operators/track-instances.js';
import type { TrackMessage } from '../operators/wire/track-messages.js';
import { blankFrame, makeDetections } from './helpers/fixtures.js';

const frame = (i: number): Frame => blankFrame('cam', i, 4, 4);
const flush = () => new Promise((r) => setImmediate(r));

t.test('FrameCredit', async (t) => {
  t.test('grants up to its capacity, then waits for a release', async (t) => {
    const credit = new FrameCredit(2);
    let granted = 0;
    for (let i = 0; i < 3; i++) void credit.acquire().then(() => { granted++; });
    await flush();
    t.equal(granted, 2, 'two credits granted at once');
    credit.release();
    await flush();
    t.equal(granted, 3, 'the third waits for a release');
  });
  t.test('never holds more than its capacity', async (t) => {
    const credit = new FrameCredit(1);
    credit.release(); credit.release(); // releases without acquires
    let granted = 0;
    void credit.acquire().then(() => { granted++; });
    void credit.acquire().then(() => { granted++; });
    await flush();
    t.equal(granted, 1, 'extra releases do not raise the capacity');
  });
  t.throws(() => new FrameCredit(0), /positive integer/);
});

t.test('sampleFrames', async (t) => {
  t.test("'every' passes every frame, counts them and drops none", async (t) => {
    const stats = { received: 0, dropped: 0, skippedBySource: 0 };
    const out = await lastValueFrom(of(frame(0), frame(1), frame(2)).pipe(sampleFrames('every', new FrameCredit(1), stats), toArray()));
    t.same(out.map((f) => f.frameIndex), [0, 1, 2]);
    t.same(stats, { received: 3, dropped: 0, skippedBySource: 0 });
  });

  t.test('gaps in the frame index count as frames the source skipped', async (t) => {
    const stats = { received: 0, dropped: 0, skippedBySource: 0 };
    await lastValueFrom(of(frame(0), frame(1), frame(4), frame(5), frame(9)).pipe(sampleFrames('every', new FrameCredit(1), stats), toArray()));
    t.same(stats, { received: 5, dropped: 0, skippedBySource: 5 }, '2, 3, 6, 7, 8 never arrived');
  });

  t.test("'latest' keeps only the newest frame while the model is busy, and counts the drops", async (t) => {
    const credit = new FrameCredit(1);
    const stats = { received: 0, dropped: 0, skippedBySource: 0 };
    const source = new Subject<Frame>();
    const seen: number[] = [];
    let completed = false;
    source.pipe(sampleFrames('latest', credit, stats)).subscribe({ next: (f) => seen.push(f.frameIndex), complete: () => { completed = true; } });
    source.next(frame(0));
    await flush();
    t.same(seen, [0], 'the first frame goes through (credit free)');
    source.next(frame(1)); source.next(frame(2)); source.next(frame(3)); // model busy with 0
    await flush();
    t.same(seen, [0], 'nothing more while the credit is taken');
    t.equal(stats.dropped, 2, '1 and 2 were replaced by newer frames');
    source.complete();
    await flush();
    t.notOk(completed, 'completion waits for the pending frame');
    credit.release(); // frame 0 done
    await flush();
    t.same(seen, [0, 3], 'the newest pending frame is emitted once the model is free');
    t.ok(completed, 'then the stream completes');
    t.same(stats, { received: 4, dropped: 2, skippedBySource: 0 });
  });

  t.test('unsubscribing while a frame is pending returns its credit', async (t) => {
    const credit = new FrameCredit(1);
    const source = new Subject<Frame>();
    const sub = source.pipe(sampleFrames('latest', credit, { received: 0, dropped: 0, skippedBySource: 0 })).subscribe();
    source.next(frame(0)); await flush(); // holds the only credit
    source.next(frame(1)); await flush(); // pending, waiting for the credit
    sub.unsubscribe();
    credit.release(); // frame 0 finishes after the unsubscribe: the waiting sampler gets the credit and must give it back
    await flush();
    let granted = false;
    void credit.acquire().then(() => { granted = true; });
    await flush();
    t.ok(granted, 'the credit is free again');
  });

  t.test('errors are forwarded', async (t) => {
    const source = new Subject<Frame>();
    let error: unknown;
    source.pipe(sampleFrames('latest', new FrameCredit(1), { received: 0, dropped: 0, skippedBySource: 0 })).subscribe({ error: (e) => { error = e; } });
    source.error(new Error('camera gone'));
    t.match(error, /camera gone/);
  });
});

/** A tracker that reports one confirmed track per frame and ends it at the end of the stream. */
class ScriptedTracker implements Tracker {
  readonly cameraId = 'cam';
  private last: Detections | null = null;
  readonly summary: TrackSummary = { trackId: 1, classId: 0, className: 'person', firstFrame: 0, lastFrame: 0, firstPtsMs: 0, lastPtsMs: 0, hits: 1, meanScore: 0.9 };
  update(d: Detections): FrameTracks {
    const first = this.last === null;
    this.last = d;
    return {
      kind: 'frame', cameraId: 'cam', frameIndex: d.frame.frameIndex, ptsMs: d.frame.ptsMs, width: 4, height: 4,
      active: [{ trackId: 1, classId: 0, className: 'person', score: 0.9, box: [0, 0, 2, 2], mask: null, age: d.frame.frameIndex }],
      started: first ? [this.summary] : [], ended: [], detectionCount: d.count, inferenceMs: 0,
    };
  }
  end(): StreamEnded | null {
    if (!this.last) return null;
    return { kind: 'stream-ended', cameraId: 'cam', frameIndex: this.last.frame.frameIndex, ptsMs: this.last.frame.ptsMs, ended: [{ ...this.summary, endReason: 'end-of-stream' }] };
  }
}

const detections = (i: number) => makeDetections(frame(i), [{ box: [0, 0, 2, 2] }]);

t.test('trackInstances', async (t) => {
  t.test('emits one FrameTracks per frame, then a StreamEnded at completion', async (t) => {
    const out = await lastValueFrom(of(detections(0), detections(1)).pipe(trackInstances(new ScriptedTracker()), toArray()));
    t.same(out.map((x) => x.kind), ['frame', 'frame', 'stream-ended']);
    const end = out[2] as StreamEnded;
    t.equal(end.frameIndex, 1, 'the end carries the last frame index (media time stays monotonic)');
    t.equal(end.ended[0].endReason, 'end-of-stream');
  });
  t.test('no StreamEnded for a stream without frames', async (t) => {
    const out = await lastValueFrom(of<Detections>().pipe(trackInstances(new ScriptedTracker()), toArray()));
    t.same(out, []);
  });
  t.test('a tracker error becomes the stream error', async (t) => {
    const broken: Tracker = { cameraId: 'cam', update: () => { throw new Error('wrong camera'); }, end: () => null };
    await t.rejects(lastValueFrom(of(detections(0)).pipe(trackInstances(broken))), /wrong camera/);
  });
});

/** A publisher that records what it is given. */
function recordingPublisher(): TrackPublisher & { readonly got: TrackMessage[]; readonly json: string[] } {
  const got: TrackMessage[] = [], json: string[] = [];
  return { name: 'test', counters: {}, got, json, publish: (m, j) => { got.push(m); json.push(j); }, close: async () => undefined };
}

t.test('publishTracks', async (t) => {
  const tracker = new ScriptedTracker();
  const items: Tracks[] = [tracker.update(detections(0)), tracker.update(detections(1)), tracker.end()!];
  const a = recordingPublisher(), b = recordingPublisher();
  const passed = await lastValueFrom(of(...items).pipe(publishTracks([a, b], false, new MessageSequence()), toArray()));
  t.equal(passed.length, 3, 'items pass through unchanged');
  t.same(a.got.map((m) => m.seq), [1, 2, 3, 4], 'one camera sequence number per message, in publishing order');
  t.same(a.got.flatMap((m) => (m.type === 'track_started' || m.type === 'track_ended' ? [m.eventId] : [])), ['cam:0:1:started', 'cam:0:1:ended'], 'events carry a stable id: camera, run epoch (0 in a replay), track');
  t.same(a.got.map((m) => `${m.type}@${'frameIndex' in m ? m.frameIndex : '-'}`), ['track_started@0', 'tracks@0', 'tracks@1', 'track_ended@1'],
    'started events before the frame snapshot; the end of stream gives only ended events, no snapshot');
  t.same(b.json, a.json, 'every publisher gets the same bytes');
  t.same(a.json.map((j) => JSON.parse(j)), a.got, 'json is the serialisation of the message');
});

t.test('gatherClips: the clip gatherer sees every item before it is published, and its events name their clip', async (t) => {
  const tracker = new ScriptedTracker();
  const items: Tracks[] = [tracker.update(detections(0)), tracker.update(detections(1)), tracker.end()!];
  const seen: number[] = [];
  const gatherer: ClipGatherer = {
    observe: (x): Record<string, string> | null => {
      seen.push(x.frameIndex);
      if (x.kind === 'frame' && x.started.length) return { 'cam:0:1:started': 'cam-0-1' };
      return x.kind === 'stream-ended' ? { 'cam:0:1:ended': 'cam-0-1' } : null;
    },
  };
  const a = recordingPublisher();
  const passed = await lastValueFrom(of(...items).pipe(gatherClips(gatherer), publishTracks([a], false, new MessageSequence()), toArray()));
  t.same(seen, [0, 1, 1], 'every item, in order');
  t.equal(passed[1], items[1], 'an item with no clip event passes unchanged');
  t.same(a.got.flatMap((m) => (m.type === 'track_started' || m.type === 'track_ended' ? [[m.type, m.clipId]] : [])), [['track_started', 'cam-0-1'], ['track_ended', 'cam-0-1']], 'started and ended name the clip');
  t.notOk(a.json.find((j) => j.includes('"tracks"'))?.includes('clipId'), 'snapshots do not');
});

t.test('releaseFrame returns a credit for frames only, never for the end of a stream', async (t) => {
  const credit = new FrameCredit(2);
  await credit.acquire(); await credit.acquire();
  const tracker = new ScriptedTracker();
  const items: Tracks[] = [tracker.update(detections(0)), tracker.end()!];
  await lastValueFrom(of(...items).pipe(releaseFrame(credit), toArray()));
  let granted = 0;
  void credit.acquire().then(() => { granted++; });
  void credit.acquire().then(() => { granted++; });
  await flush();
  t.equal(granted, 1, 'one frame, one credit back');
});

t.test('segmentInstances starts each frame at once but emits in frame order; a failure arrives in order, never as an unhandled rejection', async (t) => {
  const started: number[] = [];
  const delays = [30, 5, 15]; // the first frame takes longest
  const segmenter = {
    classNames: ['person'], inputWidth: 4, inputHeight: 4, executionProvider: 'cpu',
    segment: (f: Frame) => { started.push(f.frameIndex); return new Promise<Detections>((resolve) => setTimeout(() => resolve(makeDetections(f, [])), delays[f.frameIndex])); },
    dispose: async () => undefined,
  };
  const frames = new Subject<Frame>();
  const out = lastValueFrom(frames.pipe(segmentInstances(segmenter), toArray()));
  for (let i = 0; i < 3; i++) frames.next(frame(i));
  t.same(started, [0, 1, 2], 'all three started before the first finished');
  frames.complete();
  t.same((await out).map((d) => d.frame.frameIndex), [0, 1, 2], 'emitted in frame order');

  let unhandled = 0;
  const onUnhandled = () => { unhandled++; };
  process.on('unhandledRejection', onUnhandled);
  const failing = { ...segmenter, segment: (f: Frame) => (f.frameIndex === 1 ? Promise.reject(new Error('model failed on frame 1')) : segmenter.segment(f)) };
  const failed = new Subject<Frame>();
  const result = lastValueFrom(failed.pipe(segmentInstances(failing), toArray()));
  for (let i = 0; i < 3; i++) failed.next(frame(i));
  await t.rejects(result, /model failed on frame 1/, 'the error ends the stream after frame 0');
  await new Promise((r) => setTimeout(r, 50));
  process.off('unhandledRejection', onUnhandled);
  t.equal(unhandled, 0, 'the early rejection was not reported as unhandled');
});
