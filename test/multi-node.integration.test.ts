// Several edgevis processes (nodes) publishing into one real mosquitto: a subscriber sees every
// node's cameras and each node's own retained online/offline status.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { freePort } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, quietLogger, VTEST } from './helpers/fixtures.js';
import { settle, listening } from './helpers/subscribers.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

t.test(
  "two nodes into one mosquitto: both nodes' cameras and statuses, told apart",
  { skip: (!haveInputs || !existsSync(MOSQUITTO)) && 'inputs or mosquitto missing', timeout: 120_000 },
  async (t) => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-nodes-'));
    writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    const broker = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
    t.teardown(() => {
      broker.kill('SIGKILL');
    });
    await listening(port);
    const url = `mqtt://127.0.0.1:${port}`;
    const got: { topic: string; payload: string }[] = [];
    const subscriber = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
    subscriber.on('message', (topic, payload) => got.push({ topic, payload: String(payload) }));
    await subscriber.subscribeAsync('edgevis/#', { qos: 1 });
    t.teardown(() => subscriber.end(true));

    const node = (nodeId: string, camera: string) =>
      startEdgevis(
        parseConfig(
          {
            nodeId,
            cameras: [{ id: camera, source: VTEST, maxFrames: 15 }],
            model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
            embedder: { kind: 'histogram' },
            publish: { websocket: { enabled: false }, mqtt: { url } },
          },
          'test',
        ),
        { logger: quietLogger },
      );
    const [north, south] = await Promise.all([node('north', 'gate-n'), node('south', 'gate-s')]);
    await Promise.all([north.done, south.done]);
    await north.stop(); // one node leaves, the other stays
    await settle(() => got.some((m) => m.topic === 'edgevis/nodes/north/status' && m.payload === 'offline'), 5000);
    await settle(() => false, 300);
    const last = (topic: string) => got.filter((m) => m.topic === topic).at(-1)?.payload;
    t.equal(last('edgevis/nodes/north/status'), 'offline', 'the node that stopped says offline');
    t.equal(last('edgevis/nodes/south/status'), 'online', 'the other is still online');
    const statusOf = (camera: string) =>
      got
        .filter((m) => m.topic === `edgevis/${camera}/status`)
        .map((m) => JSON.parse(m.payload) as { node: string; state: string });
    t.ok(
      statusOf('gate-n').length > 0 && statusOf('gate-n').every((s) => s.node === 'north'),
      "gate-n's states name node north",
    );
    t.ok(
      statusOf('gate-s').length > 0 && statusOf('gate-s').every((s) => s.node === 'south'),
      "gate-s's states name node south",
    );
    t.equal(got.filter((m) => m.topic === 'edgevis/gate-n/tracks').length, 15, 'every snapshot of node north');
    t.equal(got.filter((m) => m.topic === 'edgevis/gate-s/tracks').length, 15, 'every snapshot of node south');
    await south.stop();
  },
);
