// Best snapshot per track on the real model and recording: each ended track gets a JPEG that
// decodes, at the frame size, with the track's box inside the picture; the track_snapshot event
// validates against the schema and names a file served over HTTP; MQTT keeps the latest JPEG per
// camera and label retained.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import mqtt from 'mqtt';
import sharp from 'sharp';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { TrackMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { haveInputs, MODEL, quietLogger, VTEST } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';

const schema = JSON.parse(
  readFileSync(new URL('../operators/wire/track-messages.schema.json', import.meta.url), 'utf8'),
) as object;
type Snapshot = Extract<TrackMessage, { type: 'track_snapshot' }>;

t.test(
  'every ended track gets its best snapshot: a JPEG with the track inside, an event, a retained MQTT picture, an HTTP file',
  { skip: !haveInputs && 'inputs missing', timeout: 120_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-snapshots-'));
    let ws!: Awaited<ReturnType<typeof wsCollector>>;
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [{ id: 'pets', source: VTEST, maxFrames: 150, snapshots: { enabled: true } }],
          model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
          embedder: { kind: 'histogram' },
          recordingsDir: dir,
          publish: { websocket: { port: 0 }, mqtt: { brokerPort: 0 } },
        },
        'test',
      ),
      {
        logger: quietLogger,
        beforeCameras: async ({ websocketUrl }) => {
          ws = await wsCollector(websocketUrl!);
        },
      },
    );
    const reader = await mqtt.connectAsync(runtime.mqttUrl!, { protocolVersion: 4, reconnectPeriod: 0 });
    t.teardown(async () => {
      ws.close();
      await reader.endAsync(true);
      await runtime.stop();
    });
    await runtime.done;
    // The end of the recording ends the open tracks; their snapshots follow once written.
    await settle(() => ws.messages.some((m) => m.type === 'camera_status' && m.state === 'ended'), 10_000);
    await settle(
      () =>
        ws.messages.filter((m) => m.type === 'track_snapshot').length >=
        ws.messages.filter((m) => m.type === 'track_ended').length,
      10_000,
    );
    const ended = ws.messages.filter((m) => m.type === 'track_ended');
    const shots = ws.messages.filter((m): m is Snapshot => m.type === 'track_snapshot');
    t.ok(ended.length >= 5, `tracks ended (${ended.length})`);
    t.same(
      shots.map((s) => s.trackId).sort((a, b) => a - b),
      ended.map((m) => (m.type === 'track_ended' ? m.track.trackId : 0)).sort((a, b) => a - b),
      'one snapshot per ended track',
    );
    const endedIds = ended.map((m) => (m.type === 'track_ended' ? m.snapshotId : undefined)).sort();
    t.same(
      endedIds,
      shots.map((s) => s.eventId).sort(),
      'each track_ended named the track_snapshot that followed it (snapshotId)',
    );
    t.ok(
      shots.every(
        (s) =>
          ws.messages.findIndex((m) => m.type === 'track_ended' && m.snapshotId === s.eventId) < ws.messages.indexOf(s),
      ),
      'the end comes first, the snapshot after it',
    );
    const validate = new Ajv({ strict: false }).compile(schema);
    t.ok(
      shots.every((s) => validate(s)),
      `track_snapshot messages validate ${JSON.stringify(validate.errors)}`,
    );
    t.ok(
      ended.every((m) => validate(m)),
      `track_ended messages with snapshotId validate ${JSON.stringify(validate.errors)}`,
    );

    const http = runtime.websocketUrl!.replace(/^ws/, 'http').replace(/\/$/, '');
    for (const s of shots.slice(0, 4)) {
      const response = await fetch(`${http}${s.snapshot.url}`);
      t.equal(response.headers.get('content-type'), 'image/jpeg', `${s.snapshot.url} is served`);
      const jpeg = Buffer.from(await response.arrayBuffer());
      t.equal(jpeg.length, s.snapshot.bytes);
      const meta = await sharp(jpeg).metadata();
      t.same([meta.format, meta.width, meta.height], ['jpeg', 768, 576], 'a JPEG at the frame size');
      const [x, y, w, h] = s.bbox;
      t.ok(
        x >= 0 && y >= 0 && x + w <= 768 && y + h <= 576 && w * h > 200,
        `track ${s.trackId}'s box ${s.bbox} is inside the picture`,
      );
      // The overlay draws the box in green (#00e676): its left edge is green, the person's middle is not.
      const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      const at = (px: number, py: number) => {
        const i = (Math.round(py) * info.width + Math.round(px)) * 3;
        return [data[i], data[i + 1], data[i + 2]];
      };
      const [r, g, b] = at(x, y + h / 2);
      t.ok(g > 150 && r < 120 && b < 170, `the box is drawn on the picture (left edge RGB ${r},${g},${b})`);
    }
    type Listed = { snapshots: { file: string; eventId: string; time: string; className: string }[] };
    const listed = (await (await fetch(`${http}/media/pets/`)).json()) as Listed;
    t.equal(listed.snapshots.length, shots.length, 'GET /media/pets/ lists them');
    t.same(listed.snapshots.map((e) => e.eventId).sort(), shots.map((s) => s.eventId).sort(), 'with their events');
    const times = listed.snapshots.map((e) => Date.parse(e.time)).sort((a, b) => a - b);
    const middle = times[Math.floor(times.length / 2)];
    const inRange = async (query: string) =>
      ((await (await fetch(`${http}/media/pets/?${query}`)).json()) as Listed).snapshots.length;
    t.equal(
      await inRange(`from=${middle}`),
      times.filter((x) => x >= middle).length,
      'from= (ms) keeps those written since',
    );
    t.equal(
      await inRange(`to=${encodeURIComponent(new Date(middle).toISOString())}`),
      times.filter((x) => x <= middle).length,
      'to= (ISO 8601) keeps those written until then',
    );
    t.equal(await inRange(`from=${Date.now() + 60_000}`), 0, 'none in the future');
    const bad = await fetch(`${http}/media/pets/?from=yesterday`);
    t.equal(bad.status, 400, 'a time that is not one: 400');
    t.match(
      ((await bad.json()) as { error: string }).error,
      /from=yesterday is not a time: give ISO 8601/,
      'saying what to give',
    );
    t.equal(
      (await fetch(`${http}/media/pets/snapshots/..%2f..%2fetc%2fpasswd.jpg`)).status,
      404,
      'no way out of the folder',
    );

    const metrics = await (await fetch(`${http}/metrics`)).text();
    t.match(
      metrics,
      new RegExp(`^edgevis_snapshots_total\\{camera="pets"\\} ${shots.length}$`, 'm'),
      '/metrics counts them',
    );
    t.match(
      metrics,
      new RegExp(
        `^edgevis_snapshot_bytes_total\\{camera="pets"\\} ${shots.reduce((n, s) => n + s.snapshot.bytes, 0)}$`,
        'm',
      ),
      'and their bytes',
    );
    const retained = new Promise<Buffer>((resolve) =>
      reader.on('message', (topic, payload, packet) => {
        if (topic === 'edgevis/pets/person/snapshot' && packet.retain) resolve(payload);
      }),
    );
    await reader.subscribeAsync('edgevis/pets/person/snapshot');
    const picture = await Promise.race([retained, new Promise<null>((r) => setTimeout(() => r(null), 3000))]);
    t.ok(
      picture && (await sharp(picture).metadata()).format === 'jpeg',
      'a new MQTT subscriber gets the latest person snapshot, retained',
    );
  },
);
