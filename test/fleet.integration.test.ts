// A fleet on real parts: a 3-server NATS JetStream cluster (Debian's nats-server), 3 edgevis nodes
// (the CLI, each in its own process group) and 2 simulated RTSP cameras. Nodes and servers are
// killed with SIGKILL; the test asserts one owner per camera at every sample, the failover, the
// stream (no acknowledged message lost, none stored twice, no two owners interleaved), one view of
// the site from any node, resume on another node, and the clean hand-over of SIGTERM.
import { existsSync } from 'node:fs';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import t from 'tap';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { NATS_SERVER, NatsCluster } from '../simulate/nats-cluster.js';
import { freePort, startRtspCamera } from '../simulate/rtsp-camera.js';
import { startCli, writeConfig, type CliProcess } from './helpers/cli-process.js';
import { haveInputs, MODEL, VTEST } from './helpers/fixtures.js';
import { settle } from './helpers/subscribers.js';

const TOKEN = 'fleet-test-token';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

interface Node {
  readonly id: string;
  readonly port: number;
  readonly cli: CliProcess;
  alive: boolean;
}

/** A node's own cameras and their states (its /readyz), or null when it does not answer. */
async function localCameras(node: Node): Promise<Record<string, string> | null> {
  try {
    const r = await fetch(`http://127.0.0.1:${node.port}/readyz`, { signal: AbortSignal.timeout(1000) });
    return ((await r.json()) as { cameras: Record<string, string> }).cameras;
  } catch {
    return null;
  }
}

t.test(
  'fleet: unique owners, failover, a durable stream, one view of the site',
  {
    skip: (!haveInputs || !existsSync(NATS_SERVER)) && 'inputs or nats-server missing (./setup.sh --test)',
    timeout: 240_000,
  },
  async (t) => {
    const cluster = await NatsCluster.start(3);
    t.teardown(() => cluster.stop());
    const cameras = await Promise.all(
      ['door', 'yard'].map((mount) => startRtspCamera(VTEST, { fps: 5, loop: true, mount })),
    );
    t.teardown(() => Promise.all(cameras.map((c) => c.stop())));

    const startNode = async (id: string, seed: boolean): Promise<Node> => {
      const port = await freePort();
      const config = writeConfig([
        `nodeId: ${id}`,
        `model: { path: ${MODEL}, executionProviders: [cpu], classes: [person] }`,
        'embedder: { kind: histogram }',
        `publish: { websocket: { port: ${port} }, mqtt: { enabled: false } }`,
        `fleet: { servers: [${cluster.urls.join(', ')}], name: site, leaseMs: 3000, heartbeatMs: 750 }`,
        seed
          ? `cameras: [${cameras.map((c, i) => `{ id: ${['door', 'yard'][i]}, source: "${c.url}" }`).join(', ')}]`
          : 'cameras: []',
      ]);
      const cli = startCli(
        ['run', '-c', config],
        { ...process.env, LOG_LEVEL: 'info', EDGEVIS_API_TOKEN: TOKEN },
        (fn) => t.teardown(fn),
      );
      const node = { id, port, cli, alive: true };
      t.ok(await cli.waitFor(/camera API/, 60_000), `node ${id} joined the fleet`);
      return node;
    };
    const nodes = [await startNode('a', true), await startNode('b', false), await startNode('c', false)];

    // Ownership: sampled on every live node every 200 ms for the whole test.
    const doubleOwners: string[] = [];
    let sampling = true;
    const owners = async () => {
      const seen = new Map<string, string[]>();
      await Promise.all(
        nodes
          .filter((n) => n.alive)
          .map(async (n) => {
            for (const [camera, state] of Object.entries((await localCameras(n)) ?? {}))
              if (!['stopped', 'ended', 'failed'].includes(state))
                seen.set(camera, [...(seen.get(camera) ?? []), n.id]);
          }),
      );
      return seen;
    };
    const sampler = (async () => {
      while (sampling) {
        for (const [camera, on] of await owners()) if (on.length > 1) doubleOwners.push(`${camera}: ${on.join(', ')}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const streamingOn = async (camera: string) => {
      for (const n of nodes.filter((x) => x.alive)) if ((await localCameras(n))?.[camera] === 'streaming') return n;
      return null;
    };
    const waitStreaming = async (camera: string, ms: number) => {
      const until = performance.now() + ms;
      while (performance.now() < until) {
        const n = await streamingOn(camera);
        if (n) return n;
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    };

    const doorOwner = await waitStreaming('door', 60_000);
    const yardOwner = await waitStreaming('yard', 60_000);
    t.ok(doorOwner && yardOwner, `both cameras stream (door on ${doorOwner?.id}, yard on ${yardOwner?.id})`);

    // One view: a node that does not run 'door' serves its tracks and state over WebSocket.
    const other = nodes.find((n) => n !== doorOwner && n.alive)!;
    const viewed: { type: string; node?: string; seq?: number }[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${other.port}/cameras/door`);
    ws.on('message', (d) => viewed.push(JSON.parse(String(d))));
    t.teardown(() => ws.terminate());
    await settle(() => viewed.some((m) => m.type === 'tracks'), 15_000);
    t.ok(
      viewed.some((m) => m.type === 'tracks'),
      `node ${other.id} serves the snapshots of 'door', which runs on ${doorOwner?.id}`,
    );
    t.ok(
      viewed.some((m) => m.type === 'camera_status' && m.node === doorOwner?.id),
      'and its state, naming the owner node',
    );
    const resumeFrom = viewed.filter((m) => m.type !== 'tracks').at(-1)?.seq;

    // Media stays on the node that wrote it: another node redirects there.
    const media = await fetch(`http://127.0.0.1:${other.port}/media/door/?from=0`, { redirect: 'manual' });
    t.equal(media.status, 307, "another node's camera's media: 307");
    t.equal(media.headers.get('location'), `http://127.0.0.1:${doorOwner!.port}/media/door/?from=0`, 'to its owner');

    // The viewer of that node, in Chromium: 'door' in its camera list, owner named, tracks drawn.
    if (existsSync(CHROMIUM)) {
      const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
      t.teardown(() => browser.close());
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${other.port}/?camera=door`);
      await page.waitForFunction(
        () => {
          const v = (window as unknown as { edgevisViewer: { drawn: number; camera: string | null } }).edgevisViewer;
          return v.camera === 'door' && v.drawn >= 3;
        },
        undefined,
        { timeout: 20_000 },
      );
      const shown = await page.evaluate(() => ({
        options: [...document.querySelectorAll('#camera option')].map((o) => (o as HTMLOptionElement).value),
        state: document.getElementById('state')!.textContent,
      }));
      t.ok(
        shown.options.includes('door') && shown.options.includes('yard'),
        `node ${other.id}'s viewer lists the site's cameras (${shown.options})`,
      );
      t.match(shown.state, new RegExp(`on node ${doorOwner!.id}`), `and names the owner: "${shown.state}"`);
      await browser.close();
    }

    // A node killed with SIGKILL: its cameras stream from a survivor.
    const victim = doorOwner!;
    const moved = victim === yardOwner ? ['door', 'yard'] : ['door'];
    const killedAt = performance.now();
    victim.cli.signalGroup('SIGKILL');
    victim.alive = false;
    for (const camera of moved) {
      const next = await waitStreaming(camera, 20_000);
      const seconds = (performance.now() - killedAt) / 1000;
      t.ok(
        next && next !== victim,
        `'${camera}' streams from node ${next?.id} ${seconds.toFixed(1)} s after ${victim.id} was killed`,
      );
      t.ok(seconds < 12, 'within 12 s (the benchmark measures p95; the lease is 3 s)');
    }

    // Resume on another node: the events after the seq seen on the first node, then the failover gap.
    if (resumeFrom !== undefined) {
      const resumed: { type: string; seq?: number; cause?: string }[] = [];
      const survivor = nodes.find((n) => n.alive)!;
      const ws2 = new WebSocket(`ws://127.0.0.1:${survivor.port}/cameras/door?since=${resumeFrom}&types=events,status`);
      ws2.on('message', (d) => resumed.push(JSON.parse(String(d))));
      t.teardown(() => ws2.terminate());
      await settle(() => resumed.some((m) => m.type === 'gap' && m.cause === 'failover'), 10_000);
      t.ok(
        resumed.filter((m) => m.seq !== undefined).every((m) => m.seq! > resumeFrom),
        `resuming on node ${survivor.id} with since=${resumeFrom} gives only what came after it`,
      );
      t.ok(
        resumed.some((m) => m.type === 'gap' && m.cause === 'failover'),
        'and the new owner announced the failover',
      );
    }

    // A JetStream server killed while the cameras publish, then back.
    cluster.kill(0);
    await new Promise((r) => setTimeout(r, 5000));
    await cluster.restart(0);
    await new Promise((r) => setTimeout(r, 3000));

    // SIGTERM: the node hands its cameras over before it exits (exit 0).
    const leaving = (await streamingOn('door'))!;
    const stayed = nodes.find((n) => n.alive && n !== leaving)!;
    const termAt = performance.now();
    leaving.cli.signalGroup('SIGTERM');
    // (The leaving node is still sampled for double owners until it has exited.)
    let darkS = Number.NaN;
    while (performance.now() - termAt < 15_000) {
      if ((await localCameras(stayed))?.door === 'streaming') {
        darkS = (performance.now() - termAt) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    t.ok(
      darkS < 5,
      `'door' streams on node ${stayed.id} ${darkS.toFixed(2)} s after SIGTERM to ${leaving.id} (hand-over, no lease wait)`,
    );
    const exit = await leaving.cli.exited;
    leaving.alive = false;
    t.equal(exit.code, 0, `node ${leaving.id} stops cleanly on SIGTERM`);
    sampling = false;
    await sampler;
    t.same(doubleOwners, [], 'never two nodes running one camera at any sample');

    // The stream: every message once, every owner's numbers without holes, owners never interleaved.
    await new Promise((r) => setTimeout(r, 2000));
    const nc = await connect({ servers: cluster.urls });
    t.teardown(() => nc.close());
    const stored: { camera: string; epoch: number; seq: number; type: string; stream: string }[] = [];
    for (const stream of ['site_events', 'site_tracks']) {
      const consumer = await jetstream(nc).consumers.get(stream);
      const total = (await consumer.info()).num_pending;
      let n = 0;
      for await (const m of await consumer.fetch({ max_messages: total, expires: 10_000 })) {
        stored.push({ ...m.json<{ camera: string; epoch: number; seq: number; type: string }>(), stream });
        if (++n >= total) break;
      }
    }
    t.ok(stored.length > 100, `the streams hold ${stored.length} messages`);
    const ids = stored.filter((m) => m.type !== 'gap').map((m) => `${m.camera}:${m.seq}`);
    t.equal(new Set(ids).size, ids.length, 'no message stored twice (message ids de-duplicate retries)');
    for (const camera of ['door', 'yard']) {
      const mine = stored.filter((m) => m.camera === camera && m.type !== 'gap');
      const epochs = [...new Set(mine.map((m) => m.epoch))];
      for (const epoch of epochs) {
        const seqs = mine.filter((m) => m.epoch === epoch).map((m) => m.seq);
        const lo = Math.min(...seqs),
          hi = Math.max(...seqs);
        t.equal(
          seqs.length,
          hi - lo + 1,
          `${camera}, owner epoch ${epoch}: ${seqs.length} messages, no hole (nothing acknowledged lost)`,
        );
      }
      // Epochs in each stream's order never go back: a stale owner never wrote after the new one.
      const orders = ['site_events', 'site_tracks'].map((s) => mine.filter((m) => m.stream === s).map((m) => m.epoch));
      t.ok(
        orders.every((order) => order.every((e, i) => i === 0 || e >= order[i - 1])),
        `${camera}: ${epochs.length} owner epoch(s), in order, never interleaved`,
      );
    }
    for (const n of nodes.filter((x) => x.alive)) n.cli.signalGroup('SIGTERM');
    await Promise.all(nodes.map((n) => n.cli.exited));
  },
);
