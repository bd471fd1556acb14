/**
 * Soak: one looping simulated RTSP camera (the default recording at 10 fps), run by the real
 * runtime with the default model, a WebSocket subscriber and an MQTT subscriber (on the embedded
 * broker) reading everything, with an outage every `period` seconds (the server killed with
 * SIGKILL, back after `outage` seconds; `period` 0 = no outage). Started as the CLI starts
 * (MALLOC_ARENA_MAX=2, --single-threaded-gc on ≤ 4 cores: see pipeline/process/start-settings.ts). Samples every 10 s: RSS (MB), V8 heap (MB), the
 * process's OS thread count and the camera's state; prints start / max / end, and the RSS slope
 * over the run after the first 2 minutes and over its second half (least squares, MB per hour; the
 * allocators' arenas fill during the first minutes, so a plateau shows as a flat second half). A growing thread count
 * would reveal GStreamer pipelines or libuv work items that a reconnect leaves behind.
 *
 * usage: npm run build && node dist/bench/soak.js [minutes=30] [period=120] [outage=15]
 */
import { applyStartSettings } from '../pipeline/process/start-settings.js';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { WebSocket } from 'ws';
import { pino } from 'pino';
import { parseConfig } from '../config/load.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { DEFAULT_SOURCE } from '../config/command-line.js';
import { startRtspCamera, freePort, type SimulatedRtspCamera } from '../simulate/rtsp-camera.js';

applyStartSettings(); // the same process settings as `edgevis run` (starts this bench again in place when they are missing)
const minutes = Number(process.argv[2] ?? 30),
  periodS = Number(process.argv[3] ?? 120),
  outageS = Number(process.argv[4] ?? 15);
const WARMUP_S = 120,
  SAMPLE_S = 10;

/** OS threads of this process (Linux /proc). */
const threads = () => Number(readFileSync('/proc/self/status', 'utf8').match(/^Threads:\s+(\d+)/m)?.[1] ?? NaN);
const mb = (bytes: number) => bytes / 2 ** 20;

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length,
    mx = xs.reduce((a, b) => a + b, 0) / n,
    my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0,
    den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den > 0 ? num / den : 0;
}

const port = await freePort();
let server: SimulatedRtspCamera = await startRtspCamera(DEFAULT_SOURCE, { fps: 10, loop: true, port, mount: 'soak' });
const config = parseConfig(
  {
    cameras: [{ id: 'soak', source: server.url, reconnectDelayMs: 500, reconnectMaxDelayMs: 4000 }],
    publish: { websocket: { port: 0 }, mqtt: { brokerPort: 0 } },
  },
  'soak bench',
);
const received = { websocket: 0, mqtt: 0 };
const runtime = await startEdgevis(config, {
  logger: pino({ level: process.env.LOG_LEVEL ?? 'warn' }),
  beforeCameras: async ({ websocketUrl, mqttUrl }) => {
    const ws = new WebSocket(websocketUrl!);
    ws.on('message', () => {
      received.websocket++;
    });
    await new Promise((r) => ws.once('open', r));
    const client = await mqtt.connectAsync(mqttUrl!, { protocolVersion: 4 });
    client.on('message', () => {
      received.mqtt++;
    });
    await client.subscribeAsync('edgevis/#', { qos: 1 });
  },
});
const status = runtime.cameras[0];

const t0 = performance.now();
const elapsedS = () => (performance.now() - t0) / 1000;
const samples: { t: number; rss: number; heap: number; threads: number; state: string; frames: number }[] = [];
const sample = () => {
  const m = process.memoryUsage();
  const s = {
    t: elapsedS(),
    rss: mb(m.rss),
    heap: mb(m.heapUsed),
    threads: threads(),
    state: status.state,
    frames: status.framesProcessed,
  };
  samples.push(s);
  console.log(
    `${s.t.toFixed(0).padStart(5)} s  rss ${s.rss.toFixed(1)} MB  heap ${s.heap.toFixed(1)} MB  threads ${s.threads}  ${s.state}  frames ${s.frames}  reconnects ${status.reconnects}  received ws ${received.websocket} mqtt ${received.mqtt}`,
  );
};
sample();
const sampler = setInterval(sample, SAMPLE_S * 1000);

let outages = 0;
while (periodS > 0 && elapsedS() + periodS < minutes * 60) {
  await new Promise((r) => setTimeout(r, periodS * 1000));
  server.process.kill('SIGKILL');
  await new Promise((r) => server.process.once('exit', r));
  await new Promise((r) => setTimeout(r, outageS * 1000));
  server = await startRtspCamera(DEFAULT_SOURCE, { fps: 10, loop: true, port, mount: 'soak' });
  outages++;
}
await new Promise((r) => setTimeout(r, Math.max(0, minutes * 60 - elapsedS()) * 1000));
clearInterval(sampler);
sample();
await runtime.stop();
await server.stop();

const after = samples.filter((s) => s.t >= WARMUP_S);
const rss = samples.map((s) => s.rss);
const stats = (k: 'rss' | 'heap' | 'threads') =>
  `${samples[0][k].toFixed(1)} / ${Math.max(...samples.map((s) => s[k])).toFixed(1)} / ${samples[samples.length - 1][k].toFixed(1)}`;
console.log(
  `\nsoak: ${minutes} min, ${outages} outages of ${outageS} s every ${periodS} s, ${status.framesProcessed} frames, ${status.reconnects} reconnects, final state ${status.state}`,
);
console.log(`RSS MB start / max / end: ${stats('rss')}`);
console.log(`V8 heap MB start / max / end: ${stats('heap')}`);
console.log(`OS threads start / max / end: ${stats('threads')}`);
const slopeOf = (part: typeof samples) =>
  (
    slope(
      part.map((s) => s.t),
      part.map((s) => s.rss),
    ) * 3600
  ).toFixed(1);
if (after.length > 2)
  console.log(`RSS slope after ${WARMUP_S} s: ${slopeOf(after)} MB/h (min ${Math.min(...rss).toFixed(1)} MB)`);
// The allocators' arenas fill for the first minutes: a plateau shows as a flat second half, a leak as the same slope.
const secondHalf = samples.filter((s) => s.t >= (minutes * 60) / 2);
if (secondHalf.length > 2) {
  const mean = (part: typeof samples) => part.reduce((a, s) => a + s.rss, 0) / part.length;
  const thirdQuarter = samples.filter((s) => s.t >= (minutes * 60) / 2 && s.t < minutes * 60 * 0.75),
    lastQuarter = samples.filter((s) => s.t >= minutes * 60 * 0.75);
  console.log(
    `RSS over the second half: slope ${slopeOf(secondHalf)} MB/h; mean ${mean(thirdQuarter).toFixed(1)} MB in the third quarter of the run, ${mean(lastQuarter).toFixed(1)} MB in the last`,
  );
}
process.exit(0);
