import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { EdgevisConfigInput } from '../config/schema.js';
import type { TrackEventMessage, TracksMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { freePort } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, quietLogger, VTEST } from './helpers/fixtures.js';
import { mqttCollector, settle, wsCollector, listening } from './helpers/subscribers.js';

const schema = JSON.parse(
  readFileSync(new URL('../operators/wire/track-messages.schema.json', import.meta.url), 'utf8'),
);
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

function config(frames: number, mqtt: Record<string, unknown> = {}): EdgevisConfigInput {
  return {
    cameras: [{ id: 'pets', source: VTEST, maxFrames: frames }],
    model: { path: MODEL, executionProviders: ['cpu'] },
    publish: { websocket: { port: 0 }, mqtt: { brokerPort: 0, ...mqtt } },
  };
}

t.test(
  'real model on the first 100 frames of vtest.avi, over WebSocket and the embedded MQTT broker',
  { skip: !haveInputs && 'vtest.avi or model missing' },
  async (t) => {
    let ws!: Awaited<ReturnType<typeof wsCollector>>, mq!: Awaited<ReturnType<typeof mqttCollector>>;
    const runtime = await startEdgevis(parseConfig(config(100), 'test'), {
      logger: quietLogger,
      beforeCameras: async ({ websocketUrl, mqttUrl }) => {
        ws = await wsCollector(websocketUrl!);
        mq = await mqttCollector(mqttUrl!);
      },
    });
    const [camera] = await runtime.done;
    t.equal(camera.state, 'ended', camera.error ?? 'camera ended at maxFrames');
    t.equal(camera.framesProcessed, 100, 'every frame of a file is processed');
    await settle(
      () =>
        ws.messages.filter((m) => m.type === 'tracks').length >= 100 &&
        mq.messages.some((m) => m.message.type === 'track_ended'),
    );
    await runtime.stop();
    ws.close();
    await mq.close();

    const snapshots = ws.messages.filter((m): m is TracksMessage => m.type === 'tracks');
    t.equal(snapshots.length, 100, 'one snapshot per frame over WebSocket');
    t.same(
      snapshots.map((s) => s.frameIndex),
      Array.from({ length: 100 }, (_, i) => i),
      'in frame order',
    );
    t.equal(
      mq.messages.filter((m) => m.topic === 'edgevis/pets/tracks').length,
      100,
      'one snapshot per frame over MQTT',
    );
    const lite = mq.messages.filter((m) => m.topic === 'edgevis/pets/tracks/nomask');
    t.ok(
      lite.length > 0 &&
        lite.every((m) => m.message.type === 'tracks' && m.message.tracks.every((k) => k.mask === null)),
      `snapshots without masks on edgevis/pets/tracks/nomask (${lite.length}, those with masks)`,
    );
    t.ok(
      mq.messages.every(
        (m) =>
          m.topic === `edgevis/pets/${m.message.type === 'tracks' ? 'tracks' : 'events'}` ||
          m.topic === 'edgevis/pets/tracks/nomask',
      ),
      'topic layout edgevis/<camera>/{tracks,tracks/nomask,events}',
    );

    const invalid = [...ws.messages, ...mq.messages.map((m) => m.message)].filter((m) => !validate(m));
    t.equal(
      invalid.length,
      0,
      `every message validates against the JSON Schema ${invalid.length ? JSON.stringify(validate.errors) : ''}`,
    );

    const withPersons = snapshots.filter((s) => s.tracks.some((tr) => tr.className === 'person')).length;
    t.ok(withPersons >= 90, `persons tracked on most frames (${withPersons}/100)`);
    const framesPerId = new Map<number, number>();
    for (const s of snapshots) for (const tr of s.tracks) framesPerId.set(tr.id, (framesPerId.get(tr.id) ?? 0) + 1);
    const persistent = [...framesPerId.values()].filter((n) => n >= 10).length;
    t.ok(
      persistent / framesPerId.size > 0.5,
      `most tracks persist 10+ frames with the same id (${persistent}/${framesPerId.size})`,
    );

    const events = ws.messages.filter((m): m is TrackEventMessage => m.type !== 'tracks');
    const started = events.filter((m) => m.type === 'track_started').map((m) => m.track.trackId);
    const ended = events.filter((m) => m.type === 'track_ended').map((m) => m.track.trackId);
    t.same(
      [...new Set(started)].sort((a, b) => a - b),
      [...framesPerId.keys()].sort((a, b) => a - b),
      'a track_started event for every published id',
    );
    t.same(
      [...ended].sort((a, b) => a - b),
      [...started].sort((a, b) => a - b),
      'every started track ends (at the latest at end of stream)',
    );
    const masks = snapshots.flatMap((s) => s.tracks).filter((tr) => tr.mask);
    t.ok(
      masks.length > 0 && masks.every((tr) => tr.mask!.size[0] === 576 && tr.mask!.size[1] === 768),
      'masks are COCO RLE at frame resolution',
    );
  },
);

t.test(
  'external broker: a real mosquitto on 127.0.0.1 receives the tracks',
  { skip: (!haveInputs && 'inputs missing') || false },
  async (t) => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-mosquitto-'));
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      `listener ${port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\npersistence false\n`,
    );
    const broker = spawn('/usr/sbin/mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    t.teardown(() => {
      broker.kill();
    });
    await listening(port);
    const url = `mqtt://127.0.0.1:${port}`;
    let mq!: Awaited<ReturnType<typeof mqttCollector>>;
    const runtime = await startEdgevis(parseConfig(config(30, { url }), 'test'), {
      logger: quietLogger,
      beforeCameras: async () => {
        mq = await mqttCollector(url);
      },
    });
    t.equal(runtime.embeddedBroker, false, 'no embedded broker with --mqtt-url');
    const [camera] = await runtime.done;
    t.equal(camera.state, 'ended');
    await settle(() => mq.messages.filter((m) => m.topic === 'edgevis/pets/tracks').length >= 30);
    await runtime.stop();
    await mq.close();
    const snapshots = mq.messages.filter((m) => m.topic === 'edgevis/pets/tracks');
    t.equal(snapshots.length, 30, 'all 30 snapshots arrived through mosquitto');
    t.ok(
      snapshots.some((m) => (m.message as TracksMessage).tracks.length > 0),
      'with tracks',
    );
    t.ok(
      mq.messages.every((m) => validate(m.message)),
      'messages validate',
    );
  },
);
