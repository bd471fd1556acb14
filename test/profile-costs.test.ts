// Measured costs that recover (issue 24): the cache forgets costs older than a day and never keeps
// one measured while other processes took the CPU; the running pipeline's segmenter time, far from
// the measured cost for a minute, makes `auto` measure again; a choice whose reason changed (a
// camera more) is told, so the cameras' states name the current camera count.
import { mkdtempSync, readFileSync } from 'node:fs';
import type { CpuInfo } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import type { Detections } from '../models/detections.js';
import type { Frame } from '../models/frame.js';
import type { Segmenter } from '../models/segmenter.js';
import { AutoModel, DRIFT_WINDOW_MS } from '../pipeline/model-selection/auto-model.js';
import type { CameraDemand, ProfileChoice } from '../pipeline/model-selection/choose-profile.js';
import {
  COST_MAX_AGE_MS,
  othersShare,
  ProfileCostCache,
  type ProfileCost,
} from '../pipeline/model-selection/profile-costs.js';

const cost = (over: Partial<ProfileCost> = {}): ProfileCost => ({
  fps: 40,
  cpuMsPerFrame: 50,
  latencyMs: 30,
  segmentMs: 25,
  measuredAt: new Date().toISOString(),
  frames: 80,
  othersCpuShare: 0,
  ...over,
});
const cpu = (busy: number, idle: number): CpuInfo => ({
  model: 'x',
  speed: 1,
  times: { user: busy, nice: 0, sys: 0, idle, irq: 0 },
});

t.test("the cache: fresh costs only, none measured under others' load", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'edgevis-costs-'));
  const cache = new ProfileCostCache(dir);
  t.ok(cache.set('a', cost()), 'a quiet measurement is kept');
  t.notOk(cache.set('b', cost({ othersCpuShare: 0.6 })), 'one taken while others had 60 % of the CPU is not');
  const reread = new ProfileCostCache(dir);
  t.ok(reread.get('a'), 'kept on disk');
  t.equal(reread.get('b'), undefined, 'the contended one never reached the disk');
  t.equal(
    reread.get('a', Date.now() + COST_MAX_AGE_MS + 1),
    undefined,
    'a day later it counts as missing (measured again)',
  );
  reread.clear();
  t.same(JSON.parse(readFileSync(join(dir, 'profile-costs.json'), 'utf8')), {}, 'cleared on disk too');
});

t.test("others' share of the CPU: machine busy time less this process's, over cores × wall time", async (t) => {
  const before = [cpu(0, 0), cpu(0, 0)],
    after = [cpu(1500, 500), cpu(1500, 500)];
  t.equal(
    othersShare(before, after, { user: 1_000_000, system: 0 }, 2000),
    0.5,
    "3 s busy of 4 s, 1 s of it ours: 2 s of 4 s others'",
  );
  t.equal(othersShare(before, after, { user: 3_000_000, system: 0 }, 2000), 0, 'all of it ours');
});

/** A segmenter that answers at once (the drift check only reads the costs). */
const fakeSegmenter = (): Segmenter => ({
  classNames: ['person'],
  inputWidth: 32,
  inputHeight: 32,
  executionProvider: 'cpu',
  dispose: async () => undefined,
  segment: async (frame: Frame): Promise<Detections> => ({
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
});

t.test(
  'auto: costs far off what the pipeline sees for a minute are measured again; a new reason is told',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-auto-'));
    const cache = new ProfileCostCache(dir);
    const candidate = {
      profile: { name: 'fake-seg', file: 'fake.onnx', inputSize: 32, hota: 50, idSwitches: 1 },
      path: '/nonexistent/fake.onnx',
    };
    const layout = { streams: 1, intraOpThreads: 1 };
    cache.set(
      ProfileCostCache.key({ provider: 'cpu', ...layout, model: candidate.path, embedder: 'histogram' }),
      cost({ segmentMs: 20 }),
    );
    let clock = 0;
    let demand: CameraDemand[] = [{ id: 'a', fps: 10, assumed: false }];
    const choices: ProfileChoice[] = [];
    const warnings: string[] = [];
    const infos: string[] = [];
    const log = pino(
      { level: 'info' },
      {
        write: (line: string) => {
          const { level, msg } = JSON.parse(line) as { level: number; msg: string };
          (level >= 40 ? warnings : infos).push(msg);
        },
      },
    );
    const auto = new AutoModel({
      candidates: [candidate],
      load: async () => fakeSegmenter(),
      embedder: async () => null,
      embedderKey: () => 'histogram',
      demand: () => demand,
      budget: { cores: 2, headroom: 0.75, decodeMsPerFrame: 5 },
      layout,
      cache,
      log,
      onChoice: (c) => choices.push(c),
      now: () => clock,
    });
    t.teardown(() => auto.dispose());
    await auto.segmenter();
    t.match(choices[0]?.reason, /1 live camera/, `the first choice: ${choices[0]?.reason}`);
    demand = [...demand, { id: 'b', fps: 10, assumed: false }];
    await auto.replan();
    t.equal(choices.length, 2, 'the same model for another reason is told');
    t.match(choices[1].reason, /2 live cameras/, `and names the current count: ${choices[1].reason}`);

    // Within 2× for a minute: nothing happens.
    for (; clock <= DRIFT_WINDOW_MS + 100; clock += 100) auto.observe(35);
    t.same(warnings, [], 'segmenter time 1.75× the measured one: no new measurement');
    // 3× for a minute: every cost is measured again.
    for (const end = clock + DRIFT_WINDOW_MS + 100; clock <= end; clock += 100) auto.observe(60);
    t.match(
      warnings.join('\n'),
      /takes 60\.0 ms per frame in the running pipeline .* 3\.0× the 20\.0 ms measured/,
      'the drift is logged',
    );
    const measuredBefore = infos.filter((m) => m.startsWith('measuring what fake-seg costs')).length;
    await auto.replan();
    t.equal(measuredBefore, 0, 'nothing was measured before: the cached cost was used');
    const measured = infos.find((m) => /^fake-seg: .* \((\d+) frames/.test(m));
    t.ok(
      measured && Number(/\((\d+) frames/.exec(measured)![1]) >= 24,
      `measured again, on enough frames: ${measured}`,
    );
  },
);
