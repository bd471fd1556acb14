/**
 * The fleet on this machine (issue 26), on a 3-server NATS JetStream cluster on loopback:
 *  A. the message path: `cameras` simulated cameras × `rate` messages/s (a `tracks` snapshot of 3
 *     tracks without masks, ~600 bytes) through one node's {@link FleetStreamPublisher} for
 *     `steady` seconds: acknowledged messages/s, ack latency p50/p99, CPU and RSS of the publishing
 *     node and of each server; then `serverKills` JetStream servers killed with SIGKILL while
 *     publishing (one at a time, down 4 s, back 4 s): messages lost and stored twice, counted in
 *     the stream (every camera's seq must run without a hole, each message id once);
 *  B. failover: 3 edgevis nodes (the CLI) running 3 simulated RTSP cameras (5 fps); `nodeKills`
 *     times the owner of a camera is killed with SIGKILL and started again: seconds until the
 *     camera streams from another node (p50/p95/max), CPU and RSS per node.
 *
 * usage: npm run build && node dist/bench/fleet.js [cameras=100] [rate=10] [steady=20] [serverKills=5] [nodeKills=10]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { pino } from 'pino';
import { DEFAULT_SOURCE } from '../config/command-line.js';
import { fleetSchema } from '../config/schema.js';
import type { TrackMessage } from '../operators/wire/track-messages.js';
import { FleetEngine } from '../pipeline/fleet/fleet-engine.js';
import { FleetStreamPublisher } from '../pipeline/fleet/stream-publisher.js';
import { NatsCluster } from '../simulate/nats-cluster.js';
import { freePort, startRtspCamera } from '../simulate/rtsp-camera.js';
import { percentile } from './percentile.js';

const [cameraCount, rate, steadyS, serverKills, nodeKills] = [100, 10, 20, 5, 10].map((d, i) =>
  Number(process.argv[2 + i] ?? d),
);
const MODEL = resolve(process.env.EDGEVIS_MODEL_DIR ?? '../shared/models', 'yolov8n-seg_fp32.onnx');
const CLI = resolve('dist/pipeline/cli.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = pino({ level: 'warn' });

/** CPU seconds (user + system) and RSS (MB) of a process, from /proc. */
function usage(pid: number): { cpuS: number; rssMb: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const rss = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+)/m)?.[1] ?? NaN);
    return { cpuS: (Number(stat[11]) + Number(stat[12])) / 100, rssMb: rss / 1024 };
  } catch {
    return { cpuS: NaN, rssMb: NaN };
  }
}

/** CPU share of one core and RSS of each pid over `ms`. */
async function measure(pids: Record<string, number>, ms: number): Promise<Record<string, string>> {
  const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, usage(p)]));
  await sleep(ms);
  return Object.fromEntries(
    Object.entries(pids).map(([k, p]) => {
      const after = usage(p);
      return [
        k,
        `${((100 * (after.cpuS - before[k].cpuS)) / (ms / 1000)).toFixed(1)} % of a core, ${after.rssMb.toFixed(0)} MB`,
      ];
    }),
  );
}

const cluster = await NatsCluster.start(3);
const stopAll: (() => void)[] = [() => cluster.stop()];
process.on('exit', () => {
  for (const s of stopAll.reverse()) s();
});
// Ctrl-C: the exit handler still stops the servers, nodes and cameras.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));
try {
  // ---- A. the message path
  const fleet = fleetSchema.parse({
    servers: cluster.urls,
    name: 'bench',
    replicas: 3,
    streamMaxBytes: 256 * 1024 ** 2,
  });
  const engine = await FleetEngine.connect(fleet, 'bench', log);
  const publisher = new FleetStreamPublisher(engine, 200_000);
  const seqs = new Map<string, number>();
  const cameras = Array.from({ length: cameraCount }, (_, i) => `cam${i}`);
  const epoch = Date.now();
  let sending = true;
  const tracks = Array.from({ length: 3 }, (_, k) => ({
    id: k + 1,
    classId: 0,
    className: 'person',
    score: 0.8123,
    bbox: [100.5 + k, 200.25, 40.5, 120.75],
    mask: null,
    age: 12,
  }));
  const sender = (async () => {
    const interval = 1000 / rate;
    for (let tick = 0; sending; tick++) {
      for (const camera of cameras) {
        const seq = (seqs.get(camera) ?? epoch * 1000) + 1;
        seqs.set(camera, seq);
        const message = {
          schema: 'edgevis.tracks.v3',
          type: 'tracks',
          camera,
          frameIndex: tick,
          ptsMs: tick * interval,
          width: 768,
          height: 576,
          tracks,
          epoch,
          seq,
        } as unknown as TrackMessage;
        publisher.publish(message, JSON.stringify(message));
      }
      await sleep(interval);
    }
  })();
  await sleep(3000); // warm up
  const ackedBefore = publisher.counters.acknowledged;
  const sentBefore = [...seqs.values()].reduce((a, b) => a + b - epoch * 1000, 0);
  const latencyFrom = publisher.ackLatencies.length;
  const pids = Object.fromEntries(cluster.servers.map((s) => [`server ${s.name}`, s.process!.pid!]));
  const steady = await measure({ ...pids, 'publishing node': process.pid }, steadyS * 1000);
  const acked = publisher.counters.acknowledged - ackedBefore;
  const sent = [...seqs.values()].reduce((a, b) => a + b - epoch * 1000, 0) - sentBefore;
  const lat = publisher.ackLatencies.slice(latencyFrom);
  console.log(`\nA. ${cameraCount} cameras × ${rate} messages/s for ${steadyS} s, 3 replicas`);
  console.log(
    `  acknowledged: ${(acked / steadyS).toFixed(0)} messages/s of ${(sent / steadyS).toFixed(0)}/s sent (${cameraCount * rate}/s asked; the sender's pacing runs a little slow)`,
  );
  console.log(`  ack latency: p50 ${percentile(lat, 50).toFixed(1)} ms, p99 ${percentile(lat, 99).toFixed(1)} ms`);
  for (const [k, v] of Object.entries(steady)) console.log(`  ${k}: ${v}`);

  for (let k = 0; k < serverKills; k++) {
    const i = k % 3;
    cluster.kill(i);
    await sleep(4000);
    await cluster.restart(i);
    await sleep(4000);
  }
  sending = false;
  await sender;
  const drainUntil = performance.now() + 60_000;
  while (publisher.counters.buffered > 0 && performance.now() < drainUntil) await sleep(100);
  const counters = { ...publisher.counters };
  await publisher.close();
  await engine.close();
  // Count what the stream holds.
  const nc = await connect({ servers: cluster.urls });
  const consumer = await jetstream(nc).consumers.get('bench_tracks');
  const total = (await consumer.info()).num_pending;
  const seen = new Map<string, Set<number>>();
  let stored = 0;
  for await (const m of await consumer.fetch({ max_messages: total, expires: 30_000 })) {
    const { camera, seq } = m.json<{ camera: string; seq: number }>();
    if (!seen.has(camera)) seen.set(camera, new Set());
    seen.get(camera)!.add(seq);
    if (++stored >= total) break;
  }
  await nc.close();
  let lost = 0,
    distinct = 0;
  for (const camera of cameras) {
    const got = seen.get(camera) ?? new Set<number>();
    distinct += got.size;
    lost += (seqs.get(camera) ?? epoch * 1000) - epoch * 1000 - got.size;
  }
  console.log(`  ${serverKills} server kills (SIGKILL, 4 s down each) while publishing:`);
  console.log(
    `  published ${counters.acknowledged + counters.duplicates} acknowledged (${counters.duplicates} found stored on retry, ${counters.retried} retries), dropped ${counters.dropped}`,
  );
  console.log(`  stream: ${stored} stored, ${stored - distinct} stored twice, ${lost} acknowledged messages lost`);

  // ---- B. failover of real nodes
  const rtsp = await Promise.all(
    ['c0', 'c1', 'c2'].map((mount) => startRtspCamera(DEFAULT_SOURCE, { fps: 5, loop: true, mount })),
  );
  stopAll.push(() => {
    for (const c of rtsp) void c.stop();
  });
  const dir = mkdtempSync(join(tmpdir(), 'edgevis-fleet-bench-'));
  const nodes: { id: string; port: number; child: ChildProcess | null }[] = [];
  const startNode = async (id: string, port: number, seed: boolean) => {
    const file = join(dir, `${id}.yaml`);
    writeFileSync(
      file,
      [
        `nodeId: ${id}`,
        `model: { path: ${MODEL}, executionProviders: [cpu], classes: [person] }`,
        'embedder: { kind: histogram }',
        `publish: { websocket: { port: ${port} }, mqtt: { enabled: false } }`,
        `fleet: { servers: [${cluster.urls.join(', ')}], name: site, replicas: 3 }`,
        seed ? `cameras: [${rtsp.map((c, i) => `{ id: c${i}, source: "${c.url}" }`).join(', ')}]` : 'cameras: []',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [CLI, 'run', '-c', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '',
      err = '';
    child.stdout!.on('data', (d) => {
      out += String(d);
    });
    child.stderr!.on('data', (d) => {
      err += String(d);
    });
    stopAll.push(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    });
    const until = performance.now() + 60_000;
    while (!/fleet:/.test(out) && child.exitCode === null && performance.now() < until) await sleep(100);
    if (!/fleet:/.test(out)) throw new Error(`node ${id} did not start: ${err.slice(-2000)}`);
    return child;
  };
  for (const id of ['a', 'b', 'c']) {
    const port = await freePort();
    nodes.push({ id, port, child: await startNode(id, port, id === 'a') });
  }
  const local = async (port: number): Promise<Record<string, string>> => {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(1000) });
      return ((await r.json()) as { cameras: Record<string, string> }).cameras;
    } catch {
      return {};
    }
  };
  const streamingOn = async (camera: string) => {
    for (const n of nodes) if (n.child && (await local(n.port))[camera] === 'streaming') return n;
    return null;
  };
  for (const c of ['c0', 'c1', 'c2']) while (!(await streamingOn(c))) await sleep(200);
  const perNode = await measure(Object.fromEntries(nodes.map((n) => [`node ${n.id}`, n.child!.pid!])), 10_000);
  const failovers: number[] = [];
  for (let k = 0; k < nodeKills; k++) {
    const camera = `c${k % 3}`;
    const owner = (await streamingOn(camera))!;
    process.kill(-owner.child!.pid!, 'SIGKILL');
    owner.child = null;
    const killedAt = performance.now();
    let next = null;
    while (!next && performance.now() - killedAt < 30_000) {
      next = await streamingOn(camera);
      if (!next) await sleep(50);
    }
    failovers.push((performance.now() - killedAt) / 1000);
    console.log(
      `  kill ${k + 1}: node ${owner.id} → '${camera}' streams on ${next?.id} after ${failovers.at(-1)!.toFixed(2)} s`,
    );
    owner.child = await startNode(owner.id, owner.port, false);
    await sleep(3000);
  }
  console.log(
    `\nB. failover, ${nodeKills} node kills (SIGKILL), lease 3 s, heartbeat 0.75 s, 3 nodes × 3 RTSP cameras at 5 fps`,
  );
  console.log(
    `  seconds until streaming elsewhere: p50 ${percentile(failovers, 50).toFixed(2)}, p95 ${percentile(failovers, 95).toFixed(2)}, max ${Math.max(...failovers).toFixed(2)}`,
  );
  for (const [k, v] of Object.entries(perNode)) console.log(`  ${k} (cameras as assigned): ${v}`);
} finally {
  for (const s of stopAll.reverse()) s();
  stopAll.length = 0;
}
process.exit(0);
