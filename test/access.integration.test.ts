// Authentication and authorisation at the edges, on real servers: the WebSocket/HTTP port with a
// reader token (401 before any handshake, browsers by origin), the embedded MQTT broker with reader
// credentials and an ACL (only edgevis publishes under its prefix), refusal to serve a non-loopback
// address without credentials.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import t from 'tap';
import { WebSocket } from 'ws';
import { parseConfig } from '../config/load.js';
import type { EdgevisConfigInput } from '../config/schema.js';
import { isLoopback, readerAccessProblem } from '../pipeline/http/access.js';
import { isUnderPrefix } from '../pipeline/publishers/mqtt-broker.js';
import { startPublishers, closePublishers } from '../pipeline/publishers/start-publishers.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { MODEL, quietLogger } from './helpers/fixtures.js';
import { settle } from './helpers/subscribers.js';

const publishConfig = (publish: EdgevisConfigInput['publish']) =>
  parseConfig({ cameras: [{ id: 'door', source: 'x.avi' }], publish }, 'test').publish;

/** The HTTP status of a WebSocket upgrade (101 when accepted). */
function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((r) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => {
      ws.close();
      r(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      r(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => r(-1));
  });
}

t.test('reader access rules (pure)', async (t) => {
  const access = { token: 'abc', allowedOrigins: ['https://dash.example'] };
  const req = (headers: Record<string, string>, url = '/') => ({
    headers: { host: '127.0.0.1:8765', ...headers },
    url,
  });
  t.equal(readerAccessProblem(req({ authorization: 'Bearer abc' }), access), null);
  t.equal(readerAccessProblem(req({}, '/cameras/door?token=abc'), access), null, 'browsers may pass ?token=');
  t.match(readerAccessProblem(req({}), access), { status: 401 });
  t.match(readerAccessProblem(req({ authorization: 'Bearer abd' }), access), { status: 401 });
  t.match(readerAccessProblem(req({ authorization: 'Bearer abc', origin: 'https://evil.example' }), access), {
    status: 403,
  });
  t.equal(
    readerAccessProblem(req({ authorization: 'Bearer abc', origin: 'https://dash.example' }), access),
    null,
    'an allowed origin',
  );
  t.equal(
    readerAccessProblem(req({ origin: 'http://127.0.0.1:8765' }), { token: null, allowedOrigins: [] }),
    null,
    "the page's own origin",
  );
  t.ok(
    isLoopback('127.0.0.1') &&
      isLoopback('::1') &&
      isLoopback('localhost') &&
      !isLoopback('0.0.0.0') &&
      !isLoopback('10.0.0.2'),
  );
  t.ok(isUnderPrefix('edgevis/door/events', 'edgevis') && isUnderPrefix('edgevis/#', 'edgevis'));
  t.notOk(
    isUnderPrefix('#', 'edgevis') ||
      isUnderPrefix('$SYS/#', 'edgevis') ||
      isUnderPrefix('edgevisX/a', 'edgevis') ||
      isUnderPrefix('+/door/events', 'edgevis'),
  );
});

t.test('the WebSocket port with a reader token: 401 before the handshake, probes open', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'edgevis-auth-'));
  writeFileSync(join(dir, 'token'), 'reader-token-1\n');
  const runtime = await startEdgevis(
    parseConfig(
      {
        cameras: [{ id: 'door', source: join(dir, 'absent.avi') }],
        model: { path: MODEL, executionProviders: ['cpu'] },
        publish: { websocket: { port: 0, tokenFile: join(dir, 'token') }, mqtt: { enabled: false } },
      },
      'test',
    ),
    { logger: quietLogger },
  );
  t.teardown(() => runtime.stop());
  const ws = runtime.websocketUrl!;
  const http = ws.replace(/^ws/, 'http');
  t.equal(await upgradeStatus(ws), 401, 'no token: 401');
  t.equal(await upgradeStatus(ws, { authorization: 'Bearer wrong' }), 401, 'wrong token: 401');
  t.equal(await upgradeStatus(ws, { authorization: 'Bearer reader-token-1' }), 101, 'right token in the header');
  t.equal(
    await upgradeStatus(`${ws}cameras/door?token=reader-token-1`),
    101,
    'right token as a query parameter (browsers)',
  );
  t.equal(
    await upgradeStatus(ws, { authorization: 'Bearer reader-token-1', origin: 'https://evil.example' }),
    403,
    'a foreign browser origin: 403',
  );
  const closeCode = await new Promise<number>((r) => {
    const client = new WebSocket(ws, { headers: { authorization: 'Bearer reader-token-1' } });
    client.once('open', () => client.send(Buffer.alloc(100 * 1024)));
    client.once('close', (code) => r(code));
    client.on('error', () => undefined);
  });
  t.equal(
    closeCode,
    1009,
    'a subscriber that sends a 100 KiB frame is closed (1009: message too big), nothing is buffered',
  );
  t.equal((await fetch(`${http}metrics`)).status, 401, '/metrics needs the token');
  t.equal((await fetch(`${http}metrics`, { headers: { authorization: 'Bearer reader-token-1' } })).status, 200);
  t.equal((await fetch(`${http}healthz`)).status, 200, '/healthz stays open for probes');
});

t.test('a non-loopback address without credentials is refused, with the fix', async (t) => {
  await t.rejects(
    startPublishers(publishConfig({ websocket: { host: '0.0.0.0', port: 0 }, mqtt: { enabled: false } })),
    /refusing to serve WebSocket, viewer and metrics on 0\.0\.0\.0 without a token.*EDGEVIS_TOKEN.*allowAnonymous/,
  );
  await t.rejects(
    startPublishers(publishConfig({ websocket: { enabled: false }, mqtt: { brokerHost: '0.0.0.0', brokerPort: 0 } })),
    /refusing to run the embedded MQTT broker on 0\.0\.0\.0 without credentials/,
  );
  const open = await startPublishers(
    publishConfig({ websocket: { host: '0.0.0.0', port: 0, allowAnonymous: true }, mqtt: { enabled: false } }),
  );
  t.ok(open.websocketUrl, 'unless the user says so');
  await closePublishers(open.all);
});

t.test('the embedded broker: readers authenticate, read only under the prefix, and cannot publish', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'edgevis-mqtt-auth-'));
  writeFileSync(join(dir, 'password'), 'mqtt-pass-1\n');
  const publishers = await startPublishers(
    publishConfig({
      websocket: { enabled: false },
      mqtt: { brokerPort: 0, username: 'viewer', passwordFile: join(dir, 'password') },
    }),
  );
  t.teardown(() => closePublishers(publishers.all));
  const url = publishers.mqttUrl!;
  const connect = (options: mqtt.IClientOptions) =>
    mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 3000, ...options });
  await t.rejects(connect({}), /Bad username or password|Not authorized|bad user/i, 'anonymous refused');
  await t.rejects(
    connect({ username: 'viewer', password: 'wrong' }),
    /Bad username or password|Not authorized|bad user/i,
    'wrong password refused',
  );
  const reader = await connect({ username: 'viewer', password: 'mqtt-pass-1' });
  const spoofer = await connect({ username: 'viewer', password: 'mqtt-pass-1' });
  t.teardown(() => {
    reader.end(true);
    spoofer.end(true);
  });
  const got: string[] = [];
  reader.on('message', (topic, payload) => got.push(`${topic} ${String(payload)}`));
  const granted = await reader.subscribeAsync('edgevis/#', { qos: 1 });
  t.same(
    granted.map((g) => g.qos),
    [1],
    'the prefix may be read',
  );
  await t.rejects(reader.subscribeAsync('#', { qos: 1 }), /Subscribe error/, 'everything (#) may not (SUBACK 0x80)');
  await t.rejects(reader.subscribeAsync('$SYS/#', { qos: 1 }), /Subscribe error/, "nor the broker's $SYS topics");
  spoofer.publish('edgevis/door/events', JSON.stringify({ type: 'track_started', spoofed: true }), { qos: 0 });
  spoofer.publish('edgevis/nodes/edgevis/status', 'offline', { qos: 0, retain: true });
  // edgevis itself publishes: the reader gets that.
  const status = publishers.all.find((p) => p.name === 'mqtt')!;
  status.publish(
    {
      schema: 'edgevis.tracks.v3',
      type: 'camera_status',
      camera: 'door',
      node: 'n1',
      epoch: 0,
      seq: 1,
      state: 'streaming',
      reason: 'test',
      reconnects: 0,
      lastFrameIndex: -1,
    },
    '{"real":true}',
  );
  await settle(() => got.includes('edgevis/door/status {"real":true}'), 3000);
  t.same(
    got,
    ['edgevis/nodes/edgevis/status online', 'edgevis/door/status {"real":true}'],
    "the spoofed event and status were not delivered; edgevis's own messages were",
  );
});
