// Isolation under a reconnect storm: 40 cameras that can never connect (connection refused, a server
// that accepts and never answers, a host name that does not resolve) are added at once beside a
// healthy RTSP camera; the healthy camera keeps ≥ 90 % of its frame rate, is never declared stalled,
// and the process does not grow a thread per dead camera (connections are made a few at a time).
import { readdirSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { CameraStatusMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { freePort, startRtspCamera } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, quietLogger, VTEST } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';

const threads = () => readdirSync('/proc/self/task').length;

// Two layers each keep the healthy camera apart: connection slots (a few cameras connect at a time)
// and the GStreamer binding, which holds no libuv thread while a camera connects or waits. Before
// both, 40 dead cameras took the healthy one from 10 to 0.2 frames/s and got it declared stalled.
for (const slots of [4, 1000]) {
  t.test(
    `40 unreachable cameras added at once do not slow a healthy camera (${slots === 4 ? 'default connection slots' : 'connection slots unbounded: the binding alone'})`,
    { skip: !haveInputs && 'inputs missing', timeout: 180_000 },
    async (t) => {
      const healthy = await startRtspCamera(VTEST, { fps: 10, loop: true, mount: 'gate' });
      t.teardown(() => healthy.stop());
      // A server that accepts TCP connections and never answers RTSP: each attempt waits for its timeout.
      const held: Socket[] = [];
      const silent = createServer((socket) => {
        held.push(socket);
        socket.on('error', () => undefined);
      });
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      t.teardown(() => {
        for (const s of held) s.destroy();
        silent.close();
      });
      const silentPort = (silent.address() as { port: number }).port;
      const refusedPort = await freePort();

      const processed: number[] = [];
      const runtime = await startEdgevis(
        parseConfig(
          {
            cameras: [{ id: 'gate', source: healthy.url, stallTimeoutMs: 3000 }],
            model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
            embedder: { kind: 'histogram' },
            publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
            maxConcurrentConnects: slots,
          },
          'test',
        ),
        {
          logger: quietLogger,
          keepAlive: true,
          onTracks: (tracks) => {
            if (tracks.kind === 'frame' && tracks.cameraId === 'gate') processed.push(performance.now());
          },
        },
      );
      t.teardown(() => runtime.stop());
      const ws = await wsCollector(`${runtime.websocketUrl}cameras/gate?types=status`);
      t.teardown(() => ws.close());
      const fpsOver = (fromMs: number, toMs: number) =>
        processed.filter((at) => at >= fromMs && at < toMs).length / ((toMs - fromMs) / 1000);

      await settle(() => processed.length >= 30, 60_000);
      const baselineFrom = performance.now();
      await new Promise((r) => setTimeout(r, 5000));
      const baseline = fpsOver(baselineFrom, performance.now());
      const threadsBefore = threads();

      const stormAt = performance.now();
      const dead = Array.from({ length: 40 }, (_, i) => ({
        id: `dead-${i}`,
        source:
          i % 4 === 0
            ? `rtsp://camera-${i}.invalid/stream`
            : i % 4 === 1
              ? `rtsp://127.0.0.1:${silentPort}/stream`
              : `rtsp://127.0.0.1:${refusedPort}/stream`,
        reconnectDelayMs: 200,
        reconnectMaxDelayMs: 1000,
        connectTimeoutMs: 3000,
      }));
      for (const camera of dead) runtime.addCamera(parseConfig({ cameras: [camera] }, 'test').cameras[0]);
      let maxThreads = threads();
      const sampler = setInterval(() => {
        maxThreads = Math.max(maxThreads, threads());
      }, 250);
      await new Promise((r) => setTimeout(r, 10_000));
      clearInterval(sampler);
      const during = fpsOver(stormAt, performance.now());
      const deadStates = runtime.cameras.filter((c) => c.id.startsWith('dead-')).map((c) => c.state);

      t.comment(
        `healthy camera: ${baseline.toFixed(1)} fps before, ${during.toFixed(1)} fps during the storm; threads ${threadsBefore} → max ${maxThreads}; dead cameras: ${[...new Set(deadStates)].join(', ')}`,
      );
      t.ok(
        during >= 0.9 * baseline,
        `the healthy camera keeps ≥ 90 % of its frame rate (${during.toFixed(1)} of ${baseline.toFixed(1)} fps)`,
      );
      const gateStates = ws.messages
        .filter((m): m is CameraStatusMessage => m.type === 'camera_status')
        .map((m) => m.state);
      t.notOk(
        gateStates.includes('stalled') || gateStates.includes('reconnecting'),
        `the healthy camera was never stalled or reconnecting (${gateStates.join(', ')})`,
      );
      t.ok(
        deadStates.every((s) => s === 'connecting' || s === 'reconnecting'),
        'the dead cameras keep trying',
      );
      t.ok(
        maxThreads - threadsBefore < 120,
        `threads do not grow per dead camera (+${maxThreads - threadsBefore} for 40 cameras)`,
      );

      for (const camera of dead) runtime.removeCamera(camera.id);
      const afterFrom = performance.now();
      await new Promise((r) => setTimeout(r, 4000));
      t.ok(fpsOver(afterFrom, performance.now()) >= 0.9 * baseline, 'and after they are removed');
    },
  );
}
