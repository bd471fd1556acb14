// Line crossing on the real recording: a vertical line across the walkway of PETS09-S2L1, frames
// 1-400; the pipeline's line_crossed events per direction against the crossings of the shared
// ground-truth tracks (the same anchor and hysteresis applied to the ground-truth boxes).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import { ZoneAnalytics, type LineSpec } from '../models/analytics/zone-analytics.js';
import type { TrackPublisher } from '../operators/publish-tracks.js';
import type { TrackMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { haveInputs, MODEL, quietLogger, SHARED } from './helpers/fixtures.js';

const PETS = join(SHARED, 'datasets', 'pets09-s2l1');
const FRAMES = 400;
const LINE: LineSpec = { name: 'walkway', from: [400, 150], to: [400, 576] };
/** Allowed difference per direction: identity switches and confirmation lag move a few crossings. */
const TOLERANCE = 2;

/** Crossings per direction of the ground-truth tracks (MOTChallenge gt.txt, GT frame n = video frame n − 1). */
function groundTruthCrossings(): Record<string, number> {
  const byFrame = new Map<number, { trackId: number; box: [number, number, number, number] }[]>();
  for (const line of readFileSync(join(PETS, 'gt', 'gt.txt'), 'utf8')
    .trim()
    .split('\n')) {
    const [f, id, x, y, w, h] = line.split(',').map(Number);
    if (f > FRAMES) continue;
    byFrame.set(f, [...(byFrame.get(f) ?? []), { trackId: id, box: [x, y, x + w, y + h] }]);
  }
  const analytics = new ZoneAnalytics([], [LINE], 8);
  const counts: Record<string, number> = { 'left-to-right': 0, 'right-to-left': 0 };
  for (let f = 1; f <= FRAMES; f++) {
    for (const e of analytics.update(byFrame.get(f) ?? [], [], (f - 1) * 100).events)
      if (e.kind === 'line_crossed') counts[e.direction]++;
  }
  return counts;
}

t.test(
  'line_crossed events on PETS09-S2L1 frames 1-400 match the ground truth per direction',
  { skip: (!haveInputs || !existsSync(PETS)) && 'inputs missing', timeout: 180_000 },
  async (t) => {
    const events: TrackMessage[] = [];
    const recorder: TrackPublisher = {
      name: 'test',
      counters: {},
      publish: (m) => {
        if (m.type === 'line_crossed') events.push(m);
      },
      close: async () => undefined,
    };
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [{ id: 'pets', source: join(PETS, 'vtest.avi'), maxFrames: FRAMES, lines: [LINE] }],
          model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
          publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
        },
        'test',
      ),
      { logger: quietLogger, extraPublishers: [recorder] },
    );
    await runtime.done;
    await runtime.stop();
    const truth = groundTruthCrossings();
    const measured: Record<string, number> = { 'left-to-right': 0, 'right-to-left': 0 };
    for (const e of events) if (e.type === 'line_crossed') measured[e.direction]++;
    t.comment(
      `ground truth: ${JSON.stringify(truth)}; edgevis: ${JSON.stringify(measured)} (tolerance ±${TOLERANCE} per direction)`,
    );
    t.ok(truth['left-to-right'] + truth['right-to-left'] >= 10, 'the line is crossed often in the ground truth');
    for (const d of ['left-to-right', 'right-to-left']) {
      t.ok(Math.abs(measured[d] - truth[d]) <= TOLERANCE, `${d}: ${measured[d]} crossings, ground truth ${truth[d]}`);
    }
    t.ok(
      events.every(
        (e) =>
          e.type === 'line_crossed' &&
          e.line === 'walkway' &&
          /^pets:\d+:\d+:walkway:line_crossed@\d+$/.test(e.eventId),
      ),
      'events name the line and carry a stable id',
    );
    const validate = new Ajv({ allErrors: true, strict: false }).compile(
      JSON.parse(readFileSync(new URL('../operators/wire/track-messages.schema.json', import.meta.url), 'utf8')),
    );
    t.ok(
      events.every((e) => validate(e)),
      `line_crossed messages validate against the schema ${JSON.stringify(validate.errors)}`,
    );
  },
);
