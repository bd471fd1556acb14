// A fleet node facing bad input and faults: each a clear error or status, never a crash.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import t from 'tap';
import { NATS_SERVER, NatsCluster } from '../simulate/nats-cluster.js';
import { freePort } from '../simulate/rtsp-camera.js';
import { startCli, writeConfig } from './helpers/cli-process.js';
import { haveInputs, MODEL, VTEST } from './helpers/fixtures.js';
import { listening } from './helpers/subscribers.js';

const skip = (!haveInputs || !existsSync(NATS_SERVER)) && 'inputs or nats-server missing (./setup.sh --test)';
const TOKEN = 'faults-token';

/** Starts one nats-server with extra flags (its own process; killed by PID at teardown). */
async function natsServer(t: { teardown(fn: () => void): void }, flags: string[]): Promise<string> {
  const port = await freePort();
  const server = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), ...flags], { stdio: 'ignore' });
  t.teardown(() => {
    server.kill('SIGKILL');
  });
  await listening(port);
  return `nats://127.0.0.1:${port}`;
}

const nodeConfig = (servers: string, extra: string[] = []) =>
  writeConfig([
    'nodeId: n1',
    `model: { path: ${MODEL}, executionProviders: [cpu], classes: [person] }`,
    'embedder: { kind: histogram }',
    'publish: { websocket: { port: 0 }, mqtt: { enabled: false } }',
    `fleet: { servers: [${servers}], name: site, connectTimeoutMs: 3000 }`,
    ...extra,
  ]);

t.test('a fleet node that cannot join says why and exits 1', { skip, timeout: 60_000 }, async (t) => {
  const run = async (config: string, env: NodeJS.ProcessEnv = {}) => {
    const cli = startCli(['run', '-c', config], { ...process.env, ...env }, (fn) => t.teardown(fn));
    const exit = await cli.exited;
    return { code: exit.code, err: cli.err() };
  };
  const nobody = `nats://127.0.0.1:${await freePort()}`;
  const unreachable = await run(nodeConfig(nobody, ['cameras: []']));
  t.equal(unreachable.code, 1, 'engine unreachable: exit 1');
  t.match(unreachable.err, /cannot reach the fleet's NATS servers .* within 3000 ms .*check fleet\.servers/);

  const plain = await natsServer(t, []);
  const noJetStream = await run(nodeConfig(plain, ['cameras: []']));
  t.equal(noJetStream.code, 1, 'a server without JetStream: exit 1');
  t.match(noJetStream.err, /JetStream is not enabled .* -js/);

  const guarded = await natsServer(t, [
    '-js',
    '-sd',
    mkdtempSync(join(tmpdir(), 'edgevis-js-')),
    '--user',
    'edge',
    '--pass',
    'right',
  ]);
  const wrong = await run(nodeConfig(guarded, ['cameras: []']));
  t.equal(wrong.code, 1, 'no credentials for a server that needs them: exit 1');
  t.match(wrong.err, /refused this node's credentials/);
  const cfg = writeConfig([
    'nodeId: n1',
    `model: { path: ${MODEL}, executionProviders: [cpu] }`,
    'publish: { websocket: { port: 0 }, mqtt: { enabled: false } }',
    `fleet: { servers: [${guarded}], user: edge, connectTimeoutMs: 3000 }`,
    'cameras: []',
  ]);
  const bad = await run(cfg, { EDGEVIS_NATS_PASSWORD: 'wrong' });
  t.equal(bad.code, 1, 'a wrong password: exit 1');
  t.match(bad.err, /refused this node's credentials .*EDGEVIS_NATS_PASSWORD/);
});

t.test(
  "an invalid camera in the fleet's list is reported and kept out; the others run; one server = 1 copy",
  { skip, timeout: 90_000 },
  async (t) => {
    const cluster = await NatsCluster.start(1);
    t.teardown(() => cluster.stop());
    const port = await freePort();
    const config = writeConfig([
      'nodeId: n1',
      `model: { path: ${MODEL}, executionProviders: [cpu], classes: [person] }`,
      'embedder: { kind: histogram }',
      `publish: { websocket: { port: ${port} }, mqtt: { enabled: false } }`,
      `fleet: { servers: [${cluster.urls[0]}], name: site }`,
      `cameras: [{ id: good, source: "${VTEST}", maxFrames: 30 }]`,
    ]);
    // Another node (another version, or a hand) wrote a definition this node cannot accept.
    const nc = await connect({ servers: cluster.urls });
    t.teardown(() => nc.close());
    const kv = await new Kvm(nc).create('site_cameras', { replicas: 1, history: 1 });
    await kv.put('broken', JSON.stringify({ id: 'broken', source: VTEST, fps: 'fast', zoom: 3 }));
    const cli = startCli(['run', '-c', config], { ...process.env, LOG_LEVEL: 'info', EDGEVIS_API_TOKEN: TOKEN }, (fn) =>
      t.teardown(fn),
    );
    t.ok(await cli.waitFor(/camera API/, 60_000), 'the node joined');
    t.match(cli.out() + cli.err(), /single JetStream server: keeping 1 copy/, 'one server: 1 copy, with a warning');
    const list = async () => {
      const r = await fetch(`http://127.0.0.1:${port}/api/cameras`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return ((await r.json()) as { cameras: { id: string; state: string; error?: string; node?: string }[] }).cameras;
    };

    let cameras = await list();
    for (let i = 0; i < 100 && !cameras.some((c) => c.id === 'good' && ['streaming', 'ended'].includes(c.state)); i++) {
      await new Promise((r) => setTimeout(r, 200));
      cameras = await list();
    }
    t.match(
      cameras.find((c) => c.id === 'broken'),
      { state: 'invalid', error: /fps|zoom|Unrecognized/ },
      'the broken one: invalid, with why',
    );
    t.match(
      cameras.find((c) => c.id === 'good'),
      { node: 'n1' },
      'the good one runs here',
    );
    t.match(cli.out() + cli.err(), /camera 'broken' in the fleet's camera list is invalid here/);
    // Adding through the API goes to the fleet's list; a duplicate id is refused.
    const post = (body: unknown) =>
      fetch(`http://127.0.0.1:${port}/api/cameras`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    t.equal((await post({ id: 'good', source: 'rtsp://127.0.0.1:1/x' })).status, 409, 'an id already listed: 409');
    t.equal((await post({ id: 'gate', source: 'rtsp://127.0.0.1:1/x' })).status, 201, 'a new camera: 201');
    t.ok(await kv.get('gate'), "and it is in the fleet's list");
    cli.signalGroup('SIGTERM');
    t.equal((await cli.exited).code, 0, 'SIGTERM: clean stop');
  },
);
