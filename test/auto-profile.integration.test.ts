// model.profile auto on the real models: one paced camera gets the most accurate profile this
// machine affords; more (two per core) make auto switch to a cheaper one while the first camera streams,
// and its tracks go on across the switch (same ids, no track ended by it, events continue); the
// choice is in camera_status and /metrics.
import { mkdtempSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { CameraStatusMessage, TrackMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { availableProfiles, modelDirs } from '../pipeline/model-selection/model-profiles.js';
import { haveInputs, quietLogger, SHARED, VTEST } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';

// A CommonJS package without types: one function, text → metric families.
const parsePrometheusTextFormat = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => { name: string; metrics: { labels?: Record<string, string> }[] }[];
const dirs = modelDirs({}, join(SHARED, '..', 'main'));
const profiles = availableProfiles(dirs).map((a) => a.profile.name);
const cores = availableParallelism();
const skip =
  (!haveInputs || !profiles.includes('yolo11n-seg-480') || !profiles.includes('yolov8n-seg-320')) &&
  'the recording or the 480 / 320 profiles are missing';

t.test(
  'auto: one camera gets the accurate profile, two per core switch to a cheaper one while tracks go on',
  { skip, timeout: 240_000 },
  async (t) => {
    const camera = (id: string) => ({ id, source: VTEST, realtime: true });
    let ws!: Awaited<ReturnType<typeof wsCollector>>;
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [camera('a')],
          // The default headroom (75 % of the cores). On a 2-core machine (CI) the 480 profile costs 45-55 ms
          // of CPU per frame: one 10 fps camera takes ~25 %, four ~90-110 %, so auto must switch; the 320
          // profile (25-31 ms) takes four at ~50-62 %. Two cameras per core keep those shares elsewhere.
          // (Headroom 1 let four cameras keep the 480 profile on a CI machine where it cost 45 ms: 92 %.)
          model: { executionProviders: ['cpu'], classes: ['person'] },
          embedder: { kind: 'histogram' },
          stateDir: mkdtempSync(join(tmpdir(), 'edgevis-auto-')),
          publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
        },
        'test',
      ),
      {
        logger: quietLogger,
        keepAlive: true,
        beforeCameras: async ({ websocketUrl }) => {
          ws = await wsCollector(`${websocketUrl}cameras/a`);
        },
      },
    );
    t.teardown(async () => {
      ws.close();
      await runtime.stop();
    });
    const statuses = () => ws.messages.filter((m): m is CameraStatusMessage => m.type === 'camera_status');
    const snapshots = () =>
      ws.messages.filter((m): m is Extract<TrackMessage, { type: 'tracks' }> => m.type === 'tracks');
    await settle(() => snapshots().some((m) => m.tracks.length >= 3), 120_000);
    const first = statuses().at(-1)?.model;
    t.equal(first?.profile, 'yolo11n-seg-480', `one paced camera: ${first?.reason}`);

    const added = Array.from({ length: 2 * cores - 1 }, (_, k) => `cam${k + 2}`);
    const beforeSwitch = ws.messages.length;
    const idsBefore = new Set(
      snapshots()
        .slice(-3)
        .flatMap((m) => m.tracks.map((k) => k.id)),
    );
    for (const id of added) runtime.addCamera(parseConfig({ cameras: [camera(id)] }, 'test').cameras[0]);
    await settle(() => statuses().slice(-1)[0]?.model?.profile === 'yolov8n-seg-320', 60_000);
    const switched = statuses().at(-1)?.model;
    t.equal(switched?.profile, 'yolov8n-seg-320', `${2 * cores} paced cameras: ${switched?.reason}`);
    const switchAt = ws.messages.indexOf(statuses().at(-1)!);
    await settle(
      () => snapshots().length > 0 && ws.messages.slice(switchAt).filter((m) => m.type === 'tracks').length >= 30,
      60_000,
    );

    const after = ws.messages.slice(switchAt);
    const idsAfter = new Set(
      after
        .filter((m) => m.type === 'tracks')
        .slice(0, 5)
        .flatMap((m) => (m.type === 'tracks' ? m.tracks.map((k) => k.id) : [])),
    );
    t.ok(
      [...idsBefore].some((id) => idsAfter.has(id)),
      `people in view keep their ids across the switch (before ${[...idsBefore]}, after ${[...idsAfter]})`,
    );
    const endedAround = ws.messages
      .slice(beforeSwitch)
      .filter((m) => m.type === 'track_ended' && m.track.endReason !== 'lost-timeout');
    t.same(endedAround, [], 'no track was ended by the switch');
    const seqs = ws.messages.slice(beforeSwitch).map((m) => m.seq);
    t.ok(
      seqs.every((s, i) => i === 0 || s === seqs[i - 1] + 1),
      'no message of the camera is missing across the switch (seq +1 each)',
    );

    const text = await (await fetch(`${runtime.websocketUrl!.replace(/^ws/, 'http')}metrics`)).text();
    const info = parsePrometheusTextFormat(text).find((f) => f.name === 'edgevis_model_info');
    t.same(
      info?.metrics.map((m) => m.labels?.profile),
      Array(2 * cores).fill('yolov8n-seg-320'),
      '/metrics names the profile of every camera',
    );
    t.match(info?.metrics[0]?.labels?.reason, new RegExp(`^auto: ${2 * cores} live cameras`), 'with the reason');
  },
);
