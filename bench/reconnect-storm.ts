/**
 * Reconnect storms beside a healthy camera (issue 18): the healthy camera is the default recording
 * served by a simulated RTSP camera at 10 fps; its processed frames per second are measured in
 * windows while
 *  A. `dead` cameras that can never connect are added at once (a third refused, a third to a server
 *     that accepts TCP and never answers RTSP, a third to host names that do not resolve), then removed;
 *  B. `flapping` cameras streaming a small clip at 1 fps from one RTSP server lose it together
 *     (SIGKILL), wait `outage` seconds and reconnect together when it comes back.
 * Prints per window: the healthy camera's fps (target: ≥ 90 % of its rate before the storm), whether
 * it was ever stalled or reconnecting, the process's threads and RSS, and how many of the other
 * cameras are in each state. Started as the CLI starts (pipeline/process/start-settings.ts).
 *
 * usage: npm run build && node dist/bench/reconnect-storm.js [dead=200] [flapping=50] [outage=20] [slots=4]
 */
import { applyStartSettings } from '../pipeline/process/start-settings.js';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEFAULT_SOURCE } from '../config/command-line.js';
import { parseConfig } from '../config/load.js';
import type { CameraConfig } from '../config/schema.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { freePort, startRtspCamera, type SimulatedRtspCamera } from '../simulate/rtsp-camera.js';

applyStartSettings();
const [deadCount, flapCount, outageS, slots] = [200, 50, 20, 4].map((d, i) => Number(process.argv[2 + i] ?? d));
const threads = () => Number(readFileSync('/proc/self/status', 'utf8').match(/^Threads:\s+(\d+)/m)?.[1] ?? NaN);
const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

const healthyServer = await startRtspCamera(DEFAULT_SOURCE, { fps: 10, loop: true, mount: 'healthy' });
const held: Socket[] = [];
const silent = createServer((socket) => {
  held.push(socket);
  socket.on('error', () => undefined);
});
await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
const silentPort = (silent.address() as { port: number }).port;
const refusedPort = await freePort();

const processedAt: number[] = [];
const healthyStates: string[] = [];
const config = parseConfig(
  {
    cameras: [{ id: 'healthy', source: healthyServer.url }],
    model: { executionProviders: ['cpu'], classes: ['person'] },
    embedder: { kind: 'histogram' },
    publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
    maxConcurrentConnects: slots,
  },
  'reconnect-storm bench',
);
const runtime = await startEdgevis(config, {
  logger: pino({ level: process.env.LOG_LEVEL ?? 'error' }),
  keepAlive: true,
  onTracks: (tracks) => {
    if (tracks.kind === 'frame' && tracks.cameraId === 'healthy') processedAt.push(performance.now());
  },
});
const healthy = runtime.cameras[0];
let lastState = '';
setInterval(() => {
  if (healthy.state !== lastState) {
    lastState = healthy.state;
    healthyStates.push(lastState);
  }
}, 50).unref();
const camera = (c: Record<string, unknown>) => parseConfig({ cameras: [c] }, 'bench').cameras[0] as CameraConfig;
const others = () => runtime.cameras.filter((c) => c.id !== 'healthy');
const census = () =>
  Object.entries(
    others().reduce<Record<string, number>>((a, c) => {
      a[c.state] = (a[c.state] ?? 0) + 1;
      return a;
    }, {}),
  )
    .map(([k, v]) => `${v} ${k}`)
    .join(', ') || 'none';

/** Measures the healthy camera over `seconds` and prints one line. */
async function window(label: string, seconds: number): Promise<number> {
  const from = performance.now(),
    statesBefore = healthyStates.length;
  let maxThreads = threads();
  const sampler = setInterval(() => {
    maxThreads = Math.max(maxThreads, threads());
  }, 250);
  await sleep(seconds);
  clearInterval(sampler);
  const fps = processedAt.filter((at) => at >= from).length / ((performance.now() - from) / 1000);
  const troubled = healthyStates.slice(statesBefore).filter((s) => s === 'stalled' || s === 'reconnecting');
  console.log(
    `${label.padEnd(46)} healthy ${fps.toFixed(1).padStart(5)} fps${troubled.length ? ` (${troubled.join(', ')}!)` : ''} | threads max ${maxThreads} | RSS ${rssMb().toFixed(0)} MB | others: ${census()}`,
  );
  return fps;
}

while (healthy.framesProcessed < 30) await sleep(0.5);
const baseline = await window('A0 healthy camera alone', 10);
const dead = Array.from({ length: deadCount }, (_, i) =>
  camera({
    id: `dead-${i}`,
    reconnectDelayMs: 1000,
    reconnectMaxDelayMs: 10_000,
    connectTimeoutMs: 5000,
    source:
      i % 3 === 0
        ? `rtsp://camera-${i}.invalid/stream`
        : i % 3 === 1
          ? `rtsp://127.0.0.1:${silentPort}/stream`
          : `rtsp://127.0.0.1:${refusedPort}/stream`,
  }),
);
for (const c of dead) runtime.addCamera(c);
const during = [
  await window(`A1 ${deadCount} dead cameras added at once, 0-15 s`, 15),
  await window('A2 15-30 s', 15),
  await window('A3 30-45 s', 15),
];
for (const c of dead) runtime.removeCamera(c.id);
await window(`A4 the ${deadCount} removed`, 15);

let flapServer: SimulatedRtspCamera | null = null;
if (flapCount > 0) {
  const clip = join(mkdtempSync(join(tmpdir(), 'edgevis-storm-')), 'small.avi');
  execFileSync('gst-launch-1.0', [
    '-q',
    'videotestsrc',
    'num-buffers=60',
    'pattern=ball',
    '!',
    'video/x-raw,width=160,height=120,framerate=10/1',
    '!',
    'jpegenc',
    '!',
    'avimux',
    '!',
    'filesink',
    `location=${clip}`,
  ]);
  const flapPort = await freePort();
  flapServer = await startRtspCamera(clip, { fps: 1, loop: true, port: flapPort, mount: 'flap' });
  for (let i = 0; i < flapCount; i++)
    runtime.addCamera(
      camera({
        id: `flap-${i}`,
        source: flapServer.url,
        reconnectDelayMs: 1000,
        reconnectMaxDelayMs: 4000,
        stallTimeoutMs: 10_000,
        slowStallRatio: 0,
      }),
    );
  for (let waited = 0; waited < 120 && others().some((c) => c.state !== 'streaming'); waited++) await sleep(1);
  const steady = await window(`B0 ${flapCount} cameras at 1 fps streaming`, 10);
  flapServer.process.kill('SIGKILL');
  await new Promise((r) => flapServer!.process.once('exit', r));
  during.push(await window(`B1 their server gone (${outageS} s)`, outageS));
  flapServer = await startRtspCamera(clip, { fps: 1, loop: true, port: flapPort, mount: 'flap' });
  during.push(await window('B2 back: all reconnect together, 0-15 s', 15), await window('B3 15-30 s', 15));
  console.log(`(with ${flapCount} cameras streaming the healthy camera ran at ${steady.toFixed(1)} fps)`);
}
console.log(
  `\nhealthy camera: ${baseline.toFixed(1)} fps alone; lowest window during the storms ${Math.min(...during).toFixed(1)} fps (${((100 * Math.min(...during)) / baseline).toFixed(0)} %); states ${healthyStates.join(' → ')}`,
);
await runtime.stop();
for (const s of held) s.destroy();
silent.close();
await healthyServer.stop();
await flapServer?.stop();
process.exit(0);
