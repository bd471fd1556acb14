// A subscriber always knows where each camera stands, and numbers never repeat across restarts:
// - a WebSocket client that joins while its camera reconnects gets the camera's state at once;
// - retained MQTT camera states are published again after a broker restart (mosquitto without
//   persistence loses them) and cleared when the camera is removed;
// - after kill -9 and a restart, sequence numbers and event ids continue above the old run's, and a
//   client that resumes with a `since` from the old run gets an explicit gap (restarted).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { CameraStatusMessage, TrackMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { freePort } from '../simulate/rtsp-camera.js';
import { CLI, startCli, writeConfig } from './helpers/cli-process.js';
import { haveInputs, MODEL, quietLogger, VTEST } from './helpers/fixtures.js';
import { settle, wsCollector, exited, listening } from './helpers/subscribers.js';

const MOSQUITTO = '/usr/sbin/mosquitto';
const deadCamera = async () => `rtsp://127.0.0.1:${await freePort()}/nothing`; // nothing listens there
const isStatus = (m: TrackMessage): m is CameraStatusMessage => m.type === 'camera_status';

t.test(
  "a WebSocket client joining while its camera reconnects gets the camera's state first",
  { skip: !haveInputs && 'inputs missing', timeout: 60_000 },
  async (t) => {
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [{ id: 'gate', source: await deadCamera(), reconnectDelayMs: 5000, reconnectMaxDelayMs: 10000 }],
          model: { path: MODEL, executionProviders: ['cpu'] },
          embedder: { kind: 'histogram' },
          publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
        },
        'test',
      ),
      { logger: quietLogger },
    );
    t.teardown(() => runtime.stop());
    await settle(() => runtime.cameras[0]?.state === 'reconnecting', 20_000);
    t.equal(
      runtime.cameras[0]?.state,
      'reconnecting',
      'the camera is reconnecting (5 s backoff: nothing new is published for a while)',
    );
    for (const path of ['', 'cameras/gate']) {
      const joinedAt = performance.now();
      const client = await wsCollector(`${runtime.websocketUrl}${path}`);
      await settle(() => client.messages.length > 0, 2000);
      client.close();
      const first = client.messages[0];
      t.ok(
        first && isStatus(first) && first.state === 'reconnecting',
        `/${path}: the first message is the camera's state (reconnecting), ${(client.receivedAt[0] - joinedAt).toFixed(0)} ms after joining`,
      );
    }
    const statusless = await wsCollector(`${runtime.websocketUrl}?types=tracks,events`);
    await settle(() => false, 300);
    statusless.close();
    t.equal(statusless.messages.length, 0, 'a client that left out states gets none');
  },
);

t.test(
  'retained MQTT camera states: published again after a broker restart without persistence, cleared when the camera is removed',
  { skip: (!haveInputs || !existsSync(MOSQUITTO)) && 'inputs or mosquitto missing', timeout: 90_000 },
  async (t) => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-retained-'));
    writeFileSync(join(dir, 'mosquitto.conf'), `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    let broker: ChildProcess | null = null;
    const startBroker = async () => {
      broker = spawn(MOSQUITTO, ['-c', join(dir, 'mosquitto.conf')], { stdio: 'ignore' });
      await listening(port);
    };
    t.teardown(() => {
      broker?.kill('SIGKILL');
    });
    await startBroker();
    const url = `mqtt://127.0.0.1:${port}`;
    /**
     * What a subscriber that connects now gets as retained camera states, asked again until there are
     * `expected` of them (a broker sends retained messages right after the subscription), at most 10 s.
     */
    const retainedStates = async (expected: number) => {
      const end = Date.now() + 10_000;
      for (;;) {
        const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0 });
        const got = new Map<string, string>();
        client.on('message', (topic, payload, packet) => {
          if (packet.retain && !topic.includes('/nodes/')) got.set(topic, String(payload));
        });
        await client.subscribeAsync('edgevis/+/status', { qos: 1 });
        await settle(() => got.size >= expected, 1000);
        await client.endAsync(true);
        if (got.size === expected || Date.now() > end) return got;
      }
    };
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [
            { id: 'yard', source: await deadCamera(), reconnectDelayMs: 300, reconnectMaxDelayMs: 1000 },
            { id: 'door', source: await deadCamera(), reconnectDelayMs: 300, reconnectMaxDelayMs: 1000 },
          ],
          model: { path: MODEL, executionProviders: ['cpu'] },
          embedder: { kind: 'histogram' },
          publish: { websocket: { enabled: false }, mqtt: { url } },
        },
        'test',
      ),
      { logger: quietLogger, keepAlive: true },
    );
    t.teardown(() => runtime.stop());
    await settle(() => runtime.cameras.every((c) => c.state === 'reconnecting'), 20_000);
    let states = await retainedStates(2);
    t.same([...states.keys()].sort(), ['edgevis/door/status', 'edgevis/yard/status'], 'both states are retained');

    broker!.kill('SIGKILL');
    await exited(broker!);
    await startBroker(); // empty: it kept nothing
    await settle(() => runtime.publishers.find((p) => p.name === 'mqtt')?.health?.().ok === true, 10_000);
    states = await retainedStates(2);
    t.same(
      [...states.keys()].sort(),
      ['edgevis/door/status', 'edgevis/yard/status'],
      'after the broker restart both states are retained again',
    );
    t.match(JSON.parse(states.get('edgevis/yard/status') ?? '{}'), {
      type: 'camera_status',
      camera: 'yard',
      state: 'reconnecting',
    });

    runtime.removeCamera('yard');
    states = await retainedStates(1);
    t.same([...states.keys()], ['edgevis/door/status'], "a removed camera's retained state is cleared");
  },
);

t.test(
  'kill -9 and restart: seq and event ids continue above the old run, a client resuming from the old run gets a gap (restarted)',
  { skip: (!haveInputs || !existsSync(CLI)) && 'inputs or dist/ missing', timeout: 180_000 },
  async (t) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'edgevis-state-'));
    const config = writeConfig([
      `stateDir: "${stateDir}"`,
      'cameras:',
      `  - { id: pets, source: "${VTEST}", realtime: true }`,
      `model: { path: "${MODEL}", executionProviders: [cpu], classes: [person] }`,
      'embedder: { kind: histogram }',
      'publish: { websocket: { port: 0 }, mqtt: { enabled: false } }',
    ]);
    const run = async () => {
      const cli = startCli(['run', '--config', config], { ...process.env, LOG_LEVEL: 'warn' }, (fn) => t.teardown(fn));
      const url = (await cli.waitFor(/WebSocket: (ws:\/\/\S+)/))?.[1];
      return { cli, url: url! };
    };
    const first = await run();
    const a = await wsCollector(`${first.url}cameras/pets`);
    await settle(() => a.messages.filter((m) => m.type === 'track_started').length >= 2, 60_000);
    process.kill(-first.cli.pid, 'SIGKILL');
    await first.cli.exited;
    a.close();
    const lastSeq = Math.max(...a.messages.map((m) => m.seq));
    const oldEvents = new Set(a.messages.flatMap((m) => ('eventId' in m ? [m.eventId] : [])));
    const epochA = a.messages[0].epoch;

    const second = await run();
    const b = await wsCollector(`${second.url}cameras/pets?since=${lastSeq}`);
    t.teardown(() => b.close());
    await settle(() => b.messages.filter((m) => m.type === 'track_started').length >= 2, 60_000);
    process.kill(-second.cli.pid, 'SIGKILL');
    const [gap, ...rest] = b.messages as unknown as {
      type: string;
      restarted?: boolean;
      fromSeq?: number;
      epoch: number;
      seq?: number;
      eventId?: string;
    }[];
    t.match(
      gap,
      { type: 'gap', restarted: true, fromSeq: lastSeq + 1 },
      'the resuming client is told first that edgevis restarted',
    );
    t.ok(
      rest[0].epoch > epochA,
      `a new epoch (${epochA} → ${rest[0].epoch}), recorded in ${stateDir}/epoch (${readFileSync(join(stateDir, 'epoch'), 'utf8').trim()})`,
    );
    t.ok(
      rest.every((m) => m.seq! > lastSeq),
      `every message of the new run is numbered above the old run's last (${lastSeq}): from ${Math.min(...rest.map((m) => m.seq!))}`,
    );
    const reused = rest.flatMap((m) => (m.eventId && oldEvents.has(m.eventId) ? [m.eventId] : []));
    t.same(
      reused,
      [],
      `no event id of the old run is used again (${oldEvents.size} old, ${rest.filter((m) => m.eventId).length} new)`,
    );
  },
);
