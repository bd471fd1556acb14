import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import t from 'tap';
import { MessageSequence } from '../operators/wire/message-sequence.js';
import { lastValueFrom, toArray } from 'rxjs';
import { parseConfig } from '../config/load.js';
import { decodeRle } from '../models/coco-rle.js';
import { evaluateFiles } from '../eval/evaluate-files.js';
import { decodeLabelPng } from '../eval/formats/davis-png.js';
import { parseMotChallenge } from '../eval/formats/mot-challenge.js';
import { parseMots } from '../eval/formats/mots.js';
import { parseYtvisResults } from '../eval/formats/youtube-vis.js';
import { GreedyIouTracker } from '../models/tracking/greedy-iou-tracker.js';
import { MemoryTracker } from '../models/tracking/memory-tracker.js';
import { YoloSegmenter } from '../models/yolo-segmenter.js';
import type { Segmenter } from '../models/segmenter.js';
import type { TracksMessage } from '../operators/wire/track-messages.js';
import { cameraGraph } from '../pipeline/camera/camera-graph.js';
import { replayRecording } from '../pipeline/replay/replay.js';
import { haveInputs, MODEL, quietLogger, VTEST } from './helpers/fixtures.js';

const skip = !haveInputs && 'vtest.avi or model missing';
const tmp = () => mkdtempSync(join(tmpdir(), 'edgevis-replay-'));
const replayConfig = (frames: number, realtime = false) =>
  parseConfig(
    {
      cameras: [{ id: 'cam1', source: VTEST, maxFrames: frames, realtime }],
      model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
      publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
    },
    'test',
  );

t.test('replaying the first 150 frames twice writes byte-identical event logs', { skip }, async (t) => {
  const a = tmp(),
    b = tmp();
  t.teardown(() => {
    rmSync(a, { recursive: true });
    rmSync(b, { recursive: true });
  });
  const ma = await replayRecording(replayConfig(150), { logger: quietLogger, outDir: a, results: true });
  const mb = await replayRecording(replayConfig(150), { logger: quietLogger, outDir: b, results: false });
  t.equal(ma.frames, 150);
  t.equal(mb.frames, 150);
  const la = readFileSync(join(a, 'events.jsonl')),
    lb = readFileSync(join(b, 'events.jsonl'));
  t.ok(la.length > 10000, `a real event log (${la.length} bytes, ${ma.messages} messages)`);
  t.ok(la.equals(lb), 'identical bytes');
  const lines = la
    .toString()
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(lines.filter((m) => m.type === 'tracks').length, 150, 'one snapshot per frame');
  t.ok(
    lines.every((m) => !('inferenceMs' in m) && !('wallMs' in m)),
    'no wall-clock fields in the log',
  );
  t.ok(
    lines.some((m) => m.type === 'track_started') && lines.some((m) => m.type === 'track_ended'),
    'lifecycle events recorded',
  );

  t.test('every result format round-trips through its reader', async (t) => {
    const snapshots = lines.filter((m): m is TracksMessage => m.type === 'tracks');
    const observations = snapshots.reduce((n, s) => n + s.tracks.length, 0);
    // MOTChallenge: one row per published track per frame, 1-based frames, same boxes.
    const mot = parseMotChallenge(readFileSync(join(a, 'mot.txt'), 'utf8'), 'mot.txt');
    t.equal(mot.length, observations);
    const first = snapshots.find((s) => s.tracks.length)!;
    const row = mot.find((r) => r.frame === first.frameIndex + 1 && r.id === first.tracks[0].id)!;
    t.same([row.left, row.top, row.width, row.height], first.tracks[0].bbox);
    // Scoring the output against itself is perfect (the eval loader reads what replay wrote).
    const self = evaluateFiles(join(a, 'mot.txt'), a, { first: 1, last: 150 });
    t.equal(self.kind, 'motchallenge');
    t.equal(self.combined.hota.HOTA, 1);
    t.equal(self.combined.clear.MOTA, 1);
    t.equal(self.combined.identity.IDF1, 1);
    // MOTS: non-overlapping masks, scored against itself with mask IoU.
    const mots = parseMots(readFileSync(join(a, 'mots.txt'), 'utf8'), 'mots.txt');
    t.equal(mots.length, observations);
    t.ok(
      mots.every((r) => r.classId === 1 && r.rle.size[0] === 576 && r.rle.size[1] === 768),
      'persons (COCO class 0 → 1), frame-sized masks',
    );
    const motsSelf = evaluateFiles(join(a, 'mots.txt'), join(a, 'mots.txt'));
    t.equal(motsSelf.similarity, 'mask IoU');
    t.equal(motsSelf.combined.hota.HOTA, 1);
    // DAVIS: one indexed PNG per frame; as ground truth for itself J = F = 1.
    const pngs = readdirSync(join(a, 'davis')).filter((n) => n.endsWith('.png'));
    t.equal(pngs.length, 150);
    const labels = JSON.parse(readFileSync(join(a, 'davis', 'labels.json'), 'utf8')) as Record<string, number>;
    const png = decodeLabelPng(readFileSync(join(a, 'davis', pngs[first.frameIndex])), 'png');
    t.ok(
      png.labels.some((v) => v > 0 && first.tracks.some((tr) => labels[v] === tr.id)),
      'PNG labels map to track ids',
    );
    const davisSelf = evaluateFiles(join(a, 'davis'), join(a, 'davis'));
    t.equal(davisSelf.kind, 'davis');
    t.equal(davisSelf.combined.jf?.JMean, 1);
    t.equal(davisSelf.combined.jf?.FMean, 1);
    // YouTube-VIS: one result per track, one RLE or null per frame, masks equal to the published ones.
    const ytvis = parseYtvisResults(readFileSync(join(a, 'ytvis.json'), 'utf8'), 'ytvis.json');
    t.equal(ytvis.length, new Set(mot.map((r) => r.id)).size);
    t.ok(ytvis.every((r) => r.segmentations.length === 150 && r.category_id === 1));
    const published = first.tracks[0];
    const result = ytvis.find((r) => r.segmentations[first.frameIndex]?.counts === published.mask!.counts);
    t.ok(result, 'the published mask is in the YouTube-VIS result of its frame');
    t.ok(decodeRle(result!.segmentations[first.frameIndex]!).some((v) => v === 1));
  });
});

t.test('--realtime replay: frames arrive at the media rate', { skip }, async (t) => {
  const dir = tmp();
  t.teardown(() => rmSync(dir, { recursive: true }));
  const m = await replayRecording(replayConfig(30, true), { logger: quietLogger, outDir: dir, results: false });
  // 30 frames of a 10 fps file span 2.9 s of media time: a paced replay cannot finish much sooner.
  t.ok(m.wallMs > 2900 * 0.8, `30 frames took ${m.wallMs} ms of wall time (media: 2900 ms)`);
  t.ok(m.frames + m.dropped === m.received, 'each frame was processed or counted as dropped');
  const snapshots = readFileSync(join(dir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((x) => x.type === 'tracks');
  t.ok(
    snapshots.every((s) => Math.abs(s.ptsMs - s.frameIndex * 100) < 1),
    'media time = frame index / 10 fps',
  );
});

t.test('--realtime with a model slower than the stream drops frames instead of queueing', { skip }, async (t) => {
  const { segmenter } = await YoloSegmenter.load(MODEL, replayConfig(1).model);
  t.teardown(() => segmenter.dispose());
  // Real model plus 250 ms per frame: at 10 fps about 2 of every 3 frames must be dropped.
  const slow: Segmenter = {
    classNames: segmenter.classNames,
    inputWidth: segmenter.inputWidth,
    inputHeight: segmenter.inputHeight,
    executionProvider: segmenter.executionProvider,
    segment: async (frame) => {
      const d = await segmenter.segment(frame);
      await new Promise((r) => setTimeout(r, 250));
      return d;
    },
    dispose: async () => undefined,
  };
  const config = replayConfig(40, true);
  const stats = { received: 0, dropped: 0, skippedBySource: 0 };
  const started = performance.now();
  const tracks = await lastValueFrom(
    cameraGraph(
      config.cameras[0],
      {
        segmenter: slow,
        embedder: null,
        tracker: new MemoryTracker('cam1', config.tracker),
        publishers: [],
        withMasks: false,
        sequence: new MessageSequence(),
      },
      stats,
    ).pipe(toArray()),
  );
  const seconds = (performance.now() - started) / 1000;
  const processed = tracks.filter((x) => x.kind === 'frame');
  // The source hands over its newest frame whenever the model is free; the others are dropped in the
  // leaky appsink, never copied into JS, and counted from the gaps in the frame index.
  t.equal(stats.received, processed.length, 'every frame handed over was processed');
  t.ok(stats.skippedBySource >= 15, `frames were dropped at the source (${stats.skippedBySource})`);
  t.equal(
    processed.length + stats.skippedBySource,
    processed.at(-1)!.frameIndex + 1,
    'processed + dropped = the frames of the media span',
  );
  t.ok(
    processed.at(-1)!.frameIndex >= 38,
    `the replay covered the 40 frames of media (last index ${processed.at(-1)!.frameIndex})`,
  );
  t.ok(seconds < 40 * 0.33, `no queue built up: done in ${seconds.toFixed(1)} s, not 40 × (model + 250 ms)`);
  const gaps = processed.slice(1).map((x, i) => x.frameIndex - processed[i].frameIndex);
  t.ok(
    gaps.some((g) => g > 1),
    'processed frame indices skip the dropped frames',
  );
});

t.test('the greedy-IoU baseline runs through the real graph behind the Tracker interface', { skip }, async (t) => {
  const dir = tmp();
  t.teardown(() => rmSync(dir, { recursive: true }));
  const metrics = await replayRecording(replayConfig(20), {
    logger: quietLogger,
    outDir: dir,
    results: false,
    createTracker: (camera) => new GreedyIouTracker(camera.id),
  });
  t.equal(metrics.frames, 20);
  const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const validate = new Ajv({ allErrors: true, strict: false }).compile(
    JSON.parse(readFileSync(new URL('../operators/wire/track-messages.schema.json', import.meta.url), 'utf8')),
  );
  t.ok(
    lines.every((m) => validate(m)),
    'every message validates',
  );
  const snapshots = lines.filter((m): m is TracksMessage => m.type === 'tracks');
  t.equal(snapshots.length, 20);
  t.ok(
    snapshots[0].tracks.length >= 3,
    `published from the first frame (no confirmation): ${snapshots[0].tracks.length} persons`,
  );
  const started = new Set(lines.filter((m) => m.type === 'track_started').map((m) => m.track.trackId));
  const ended = new Set(lines.filter((m) => m.type === 'track_ended').map((m) => m.track.trackId));
  t.same([...ended].sort(), [...started].sort(), 'every started id ends (the last ones at end of stream)');
  const lastEvent = lines.filter((m) => m.type === 'track_ended').at(-1);
  t.equal(lastEvent.track.endReason, 'end-of-stream', 'the stream end closes the remaining ids');
  t.same(
    lines.filter((m) => m.type === 'camera_status').map((m) => m.state),
    ['starting', 'streaming', 'ended'],
    'the camera states are in the log',
  );
});
