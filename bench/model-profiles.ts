/**
 * The accuracy-per-cost table of the segmentation profiles (issue 19), one command: for each
 * profile × embedder (colour histograms, OSNet x0.25, OSNet x0.5):
 *  - accuracy: PETS09-S2L1 frames 1-400, persons, read at full speed (HOTA / AssA / IDF1 / ID
 *    switches, TrackEval definitions), and DAVIS 2016 val (the 10 shared sequences, all classes,
 *    J&F of the union of tracks); deterministic;
 *  - cost: CPU ms per frame in the pipeline's thread layout (the measurement `auto` makes);
 *  - live: one simulated RTSP camera at 10 and at 25 fps for `seconds` (processed fps, frames
 *    dropped, p95 latency from the source to the published snapshot);
 *  - paced: the same PETS run at the recording's 10 fps like a live camera (--realtime): the model
 *    takes the newest frame, the others are dropped, and tracking is scored on every frame 1-400.
 * Part `auto`: what `model.profile: auto` picks here for 1, 2 and 4 simulated RTSP cameras at 10 fps
 * and at 25 fps (default embedder), and whether they keep up (fps, dropped, p95 latency per camera).
 * Parts can be chosen (accuracy needs no quiet machine; cost, live, paced and auto do).
 *
 * usage: npm run build && node dist/bench/model-profiles.js [parts=accuracy,davis,cost,live,paced,auto] [seconds=20] [profiles=all] [embedders=histogram,osnet-x0.25,osnet-x0.5]
 * Writes out/model-profiles.json (merged with earlier runs of other parts) and prints the table.
 */
import { applyStartSettings } from '../pipeline/process/start-settings.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { parseConfig, projectRoot } from '../config/load.js';
import type { EdgevisConfigInput } from '../config/schema.js';
import { evaluateFiles } from '../eval/evaluate-files.js';
import type { Tracks } from '../models/tracks.js';
import type { TrackMessage } from '../operators/wire/track-messages.js';
import { ModelRegistry, cpuInferenceLayout } from '../pipeline/model-selection/model-registry.js';
import { availableProfiles, modelDirs } from '../pipeline/model-selection/model-profiles.js';
import { measureProfileCost } from '../pipeline/model-selection/profile-costs.js';
import { replayRecording } from '../pipeline/replay/replay.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { percentile } from './percentile.js';

applyStartSettings();
const [partsArg, secondsArg, profilesArg, embeddersArg] = process.argv.slice(2);
const parts = new Set((partsArg ?? 'accuracy,davis,cost,live,paced,auto').split(','));
const LIVE_SECONDS = Number(secondsArg ?? 20),
  WARM_S = 4;
const root = projectRoot();
const shared = process.env.EDGEVIS_SHARED ?? resolve(root, '..', 'shared');
const pets = resolve(shared, 'datasets/pets09-s2l1');
const davis = resolve(shared, 'datasets/davis2016-val');
const outDir = resolve(root, 'out', 'model-profiles');
const resultsFile = resolve(root, 'out', 'model-profiles.json');
const log = pino({ level: process.env.LOG_LEVEL ?? 'error' });

const EMBEDDERS: Record<string, EdgevisConfigInput['embedder']> = {
  histogram: { kind: 'histogram' },
  'osnet-x0.25': { kind: 'osnet', file: 'osnet_x0_25_msmt17.onnx' },
  'osnet-x0.5': { kind: 'osnet', file: 'osnet_x0_5_msmt17.onnx' },
};
const profiles = availableProfiles(modelDirs({}, root)).filter(
  (a) => !profilesArg || profilesArg === 'all' || profilesArg.split(',').includes(a.profile.name),
);
const embedders = (embeddersArg ?? Object.keys(EMBEDDERS).join(',')).split(',');

type Row = Record<string, number | string>;
const results: Record<string, Row> = existsSync(resultsFile)
  ? (JSON.parse(readFileSync(resultsFile, 'utf8')) as Record<string, Row>)
  : {};
const save = () => {
  mkdirSync(resolve(root, 'out'), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 1)}\n`);
};
const config = (
  profile: string,
  embedder: string,
  cameras: EdgevisConfigInput['cameras'],
  classes: string[] = ['person'],
) =>
  parseConfig(
    {
      cameras,
      model: { profile, executionProviders: ['cpu'], classes },
      embedder: EMBEDDERS[embedder],
      publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
    },
    'model-profiles bench',
  );
const r1 = (v: number) => Math.round(v * 10) / 10;

async function petsScores(profile: string, embedder: string, realtime: boolean): Promise<Row> {
  const out = join(outDir, `pets-${profile}-${embedder}${realtime ? '-paced' : ''}`);
  const m = await replayRecording(
    config(profile, embedder, [{ id: 'pets', source: join(pets, 'vtest.avi'), realtime, maxFrames: 400 }]),
    { logger: log, outDir: out, results: true },
  );
  const s = evaluateFiles(join(pets, 'gt', 'gt.txt'), out, { first: 1, last: 400 }).combined;
  const p = realtime ? 'paced' : 'pets';
  return {
    [`${p}HOTA`]: r1(100 * s.hota.HOTA),
    [`${p}AssA`]: r1(100 * s.hota.AssA),
    [`${p}IDF1`]: r1(100 * s.identity.IDF1),
    [`${p}IDSW`]: s.clear.idsw,
    ...(realtime ? { pacedProcessed: m.frames, pacedDropped: m.dropped } : { petsFps: m.fps }),
  };
}

async function davisScore(profile: string, embedder: string): Promise<Row> {
  const out = join(outDir, `davis-${profile}-${embedder}`);
  const seqs = readFileSync(join(davis, 'val.txt'), 'utf8').split(/\s+/).filter(Boolean);
  for (const seq of seqs) {
    await replayRecording(
      config(profile, embedder, [{ id: 'davis', source: join(davis, 'JPEGImages', '480p', seq) }], []),
      { logger: log, outDir: join(out, seq), results: true },
    );
  }
  const jf = evaluateFiles(join(davis, 'Annotations', '480p'), out).combined.jf!;
  return { davisJF: r1(100 * jf.JFMean) };
}

async function cost(profile: string, embedder: string): Promise<Row> {
  const cfg = config(profile, embedder, [{ id: 'cost', source: 'x' }]);
  const registry = new ModelRegistry(cfg, log);
  try {
    const segmenter = await registry.segmenterFor(cfg.cameras[0]);
    const c = await measureProfileCost(
      segmenter,
      await registry.embedder(),
      cpuInferenceLayout(cfg.model).streams,
      availableParallelism(),
    );
    return { cpuMsPerFrame: r1(c.cpuMsPerFrame), maxFps: r1(c.fps) };
  } finally {
    await registry.dispose();
  }
}

async function live(profile: string, embedder: string, fps: number): Promise<Row> {
  const server = await startRtspCamera(join(pets, 'vtest.avi'), { fps, loop: true, mount: 'bench' });
  const latencies: number[] = [];
  let startAt = 0,
    frames = 0;
  try {
    const runtime = await startEdgevis(
      config(profile, embedder, [{ id: 'live', source: server.url, slowStallRatio: 0 }]),
      {
        logger: log,
        keepAlive: true,
        onTracks: (t: Tracks) => {
          if (t.kind !== 'frame' || !t.timing?.publishedAt) return;
          if (!startAt) startAt = performance.now() + WARM_S * 1000;
          if (performance.now() < startAt) return;
          frames++;
          latencies.push(t.timing.publishedAt - t.timing.receivedAt);
        },
      },
    );
    const status = runtime.cameras[0];
    while (!startAt || performance.now() < startAt) await new Promise((r) => setTimeout(r, 200));
    const before = {
      received: status.sampling.received + status.sampling.skippedBySource,
      dropped: status.sampling.dropped + status.sampling.skippedBySource,
    };
    await new Promise((r) => setTimeout(r, LIVE_SECONDS * 1000));
    const after = {
      received: status.sampling.received + status.sampling.skippedBySource,
      dropped: status.sampling.dropped + status.sampling.skippedBySource,
    };
    const processed = frames / LIVE_SECONDS;
    await runtime.stop();
    const received = after.received - before.received;
    return {
      [`live${fps}Fps`]: r1(processed),
      [`live${fps}Dropped`]: r1((100 * (after.dropped - before.dropped)) / Math.max(1, received)),
      [`live${fps}P95`]: Math.round(percentile(latencies, 95)),
    };
  } finally {
    await server.stop();
  }
}

for (const { profile } of profiles) {
  for (const embedder of embedders) {
    const key = `${profile.name} + ${embedder}`;
    const row: Row = { ...(results[key] ?? {}), profile: profile.name, embedder };
    const step = async (part: string, fn: () => Promise<Row>) => {
      if (!parts.has(part)) return;
      const t0 = performance.now();
      Object.assign(row, await fn());
      results[key] = row;
      save();
      process.stderr.write(`${key}: ${part} done in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    };
    await step('accuracy', () => petsScores(profile.name, embedder, false));
    await step('davis', () => davisScore(profile.name, embedder));
    await step('cost', () => cost(profile.name, embedder));
    await step('live', async () => ({
      ...(await live(profile.name, embedder, 10)),
      ...(await live(profile.name, embedder, 25)),
    }));
    await step('paced', () => petsScores(profile.name, embedder, true));
  }
}

if (parts.has('auto')) {
  console.log('\nauto (default embedder, OSNet x0.25): cameras × fps → profile; per camera fps / dropped % / p95 ms');
  for (const fps of [10, 25]) {
    for (const n of [1, 2, 4]) {
      const server = await startRtspCamera(join(pets, 'vtest.avi'), { fps, loop: true, mount: 'auto' });
      const lat = new Map<string, number[]>();
      let measuring = false,
        choice = '?';
      // The choice as the cameras' states carry it.
      const states = {
        name: 'bench',
        counters: {},
        close: async () => undefined,
        publish: (m: TrackMessage) => {
          if (m.type === 'camera_status' && m.model) choice = `${m.model.profile} (${m.model.reason})`;
        },
      };
      const runtime = await startEdgevis(
        parseConfig(
          {
            cameras: Array.from({ length: n }, (_, i) => ({ id: `c${i}`, source: server.url, slowStallRatio: 0 })),
            model: { executionProviders: ['cpu'], classes: ['person'] },
            publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
          },
          'bench',
        ),
        {
          logger: log,
          keepAlive: true,
          extraPublishers: [states],
          onTracks: (t: Tracks) => {
            if (measuring && t.kind === 'frame' && t.timing?.publishedAt) {
              const l = lat.get(t.cameraId) ?? [];
              l.push(t.timing.publishedAt - t.timing.receivedAt);
              lat.set(t.cameraId, l);
            }
          },
        },
      );
      await new Promise((r) => setTimeout(r, 12_000)); // every camera declared its rate and the choice settled
      const before = runtime.cameras.map((c) => ({
        rx: c.sampling.received + c.sampling.skippedBySource,
        drop: c.sampling.dropped + c.sampling.skippedBySource,
      }));
      measuring = true;
      await new Promise((r) => setTimeout(r, LIVE_SECONDS * 1000));
      measuring = false;
      const per = runtime.cameras.map((c, i) => {
        const rx = c.sampling.received + c.sampling.skippedBySource - before[i].rx,
          drop = c.sampling.dropped + c.sampling.skippedBySource - before[i].drop;
        const l = lat.get(c.id) ?? [];
        return `${r1(l.length / LIVE_SECONDS)} / ${r1((100 * drop) / Math.max(1, rx))} / ${Math.round(percentile(l, 95))}`;
      });
      console.log(`  ${n} × ${fps} fps → ${choice}: ${per.join(' | ')}`);
      await runtime.stop();
      await server.stop();
    }
  }
}

const cell = (r: Row, k: string) => (r[k] === undefined ? '–' : String(r[k]));
console.log(
  '| profile + embedder | PETS HOTA | AssA | IDF1 | ID sw. | DAVIS J&F | CPU ms/frame | 10 fps camera: fps / dropped % / p95 ms | 25 fps camera: fps / dropped % / p95 ms | paced 10 fps: HOTA / IDF1 / ID sw. (frames processed) |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of Object.values(results)) {
  console.log(
    `| ${r.profile} + ${r.embedder} | ${cell(r, 'petsHOTA')} | ${cell(r, 'petsAssA')} | ${cell(r, 'petsIDF1')} | ${cell(r, 'petsIDSW')} | ${cell(r, 'davisJF')} | ${cell(r, 'cpuMsPerFrame')} ` +
      `| ${cell(r, 'live10Fps')} / ${cell(r, 'live10Dropped')} / ${cell(r, 'live10P95')} | ${cell(r, 'live25Fps')} / ${cell(r, 'live25Dropped')} / ${cell(r, 'live25P95')} ` +
      `| ${cell(r, 'pacedHOTA')} / ${cell(r, 'pacedIDF1')} / ${cell(r, 'pacedIDSW')} (${cell(r, 'pacedProcessed')}) |`,
  );
}
process.exit(0);
