// Live cameras that never give up, against a real gst-rtsp-server on 127.0.0.1 and the real model:
// outages of 3 s and 40 s, a frozen server (SIGSTOP) beside a healthy camera, a USB device that is not there yet.
import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { EdgevisConfigInput } from '../config/schema.js';
import type { CameraStatusMessage, TrackMessage, TracksMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { freePort, startRtspCamera, type SimulatedRtspCamera } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, quietLogger, VTEST } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';

const skip = !haveInputs && 'vtest.avi or model missing';

function liveConfig(cameras: EdgevisConfigInput['cameras']) {
  return parseConfig(
    {
      cameras,
      model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
      embedder: { kind: 'histogram' },
      publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
    },
    'test',
  );
}

/** Starts edgevis with a WebSocket subscriber connected before the cameras; both are stopped at teardown. */
async function startWithSubscriber(t: { teardown(fn: () => unknown): void }, config: ReturnType<typeof liveConfig>) {
  let ws!: Awaited<ReturnType<typeof wsCollector>>;
  const runtime = await startEdgevis(config, {
    logger: quietLogger,
    beforeCameras: async ({ websocketUrl }) => {
      ws = await wsCollector(websocketUrl!);
    },
  });
  t.teardown(async () => {
    ws.close();
    await runtime.stop();
  });
  return { runtime, ws };
}

const states = (messages: TrackMessage[], camera: string) =>
  messages
    .filter((m): m is CameraStatusMessage => m.type === 'camera_status' && m.camera === camera)
    .map((m) => m.state);
const snapshotIndices = (messages: TrackMessage[], camera: string) =>
  messages.flatMap((m, i) => (m.type === 'tracks' && m.camera === camera ? [i] : []));
const servePets = (port?: number) => startRtspCamera(VTEST, { fps: 10, loop: true, port, mount: 'pets' });

t.test(
  'camera killed, back after 3 s and after 40 s: edgevis resumes both times, indices continue',
  { skip, timeout: 240_000 },
  async (t) => {
    const port = await freePort();
    let server: SimulatedRtspCamera = await servePets(port);
    t.teardown(() => server.stop());
    const { runtime, ws } = await startWithSubscriber(
      t,
      liveConfig([
        { id: 'door', source: server.url, reconnectDelayMs: 500, reconnectMaxDelayMs: 2000, stallTimeoutMs: 3000 },
      ]),
    );
    // People enter the recording after about 1.5 s: wait until some are tracked, so the long outage has tracks to end.
    await settle(
      () => snapshotIndices(ws.messages, 'door').length >= 10 && ws.messages.some((m) => m.type === 'track_started'),
      60_000,
    );
    t.ok(snapshotIndices(ws.messages, 'door').length >= 10, 'streaming before the outages');
    t.ok(
      ws.messages.some((m) => m.type === 'track_started'),
      'people tracked before the outages',
    );

    for (const outageMs of [3000, 40_000]) {
      server.process.kill('SIGKILL'); // the camera dies without a goodbye
      await new Promise((r) => server.process.once('exit', r));
      await settle(() => runtime.cameras[0].state === 'reconnecting', 10_000);
      t.equal(
        runtime.cameras[0].state,
        'reconnecting',
        `the disconnect is seen as such (${runtime.cameras[0].reason})`,
      );
      await new Promise((r) => setTimeout(r, outageMs));
      // Counted when the camera comes back: a frame still in the inference worker at the disconnect is published after it.
      const before = snapshotIndices(ws.messages, 'door').length;
      server = await servePets(port);
      const backAt = performance.now();
      await settle(() => snapshotIndices(ws.messages, 'door').length > before, 30_000);
      const first = snapshotIndices(ws.messages, 'door')[before];
      t.ok(first !== undefined, `tracks resumed after the ${outageMs / 1000} s outage`);
      const recoverySeconds = (ws.receivedAt[first] - backAt) / 1000;
      t.comment(
        `outage ${outageMs / 1000} s: first tracks message ${recoverySeconds.toFixed(2)} s after the camera was back`,
      );
      t.ok(
        recoverySeconds < 2 + 2 + 2,
        `recovered within the backoff cap (2 s) + 2 s + 2 s for RTSP set-up and one inference: ${recoverySeconds.toFixed(2)} s`,
      );
    }
    // A frame's track_ended messages follow its snapshot: let the rest of the first frame after the outage arrive.
    await settle(() => ws.messages.some((m) => m.type === 'track_ended'), 5000);
    const seen = states(ws.messages, 'door');
    t.same(
      seen,
      ['starting', 'connecting', 'streaming', 'reconnecting', 'streaming', 'reconnecting', 'streaming'],
      `one message per change of state: ${seen.join(' → ')}`,
    );
    const snaps = snapshotIndices(ws.messages, 'door').map((i) => ws.messages[i] as TracksMessage);
    t.ok(
      snaps.every((s, i) => i === 0 || (s.frameIndex > snaps[i - 1].frameIndex && s.ptsMs > snaps[i - 1].ptsMs)),
      'frame index and media time never go backwards',
    );
    const ended = ws.messages.filter((m) => m.type === 'track_ended');
    t.ok(
      ended.every((m) => m.type === 'track_ended' && m.track.endReason === 'lost-timeout'),
      'tracks lost over the 40 s outage end as lost-timeout, never end-of-stream',
    );
    t.ok(ended.length > 0, `people gone during the 40 s outage were ended (${ended.length})`);
    t.equal(runtime.cameras[0].reconnects, 2, 'two reconnects counted');
  },
);

t.test(
  'a frozen camera (SIGSTOP, connection open) is detected as stalled, the other camera keeps its pace, and it recovers after SIGCONT',
  { skip, timeout: 120_000 },
  async (t) => {
    const frozen = await servePets(),
      healthy = await startRtspCamera(VTEST, { fps: 10, loop: true, mount: 'lobby' });
    t.teardown(async () => {
      frozen.process.kill('SIGCONT');
      await frozen.stop();
      await healthy.stop();
    });
    const { runtime, ws } = await startWithSubscriber(
      t,
      liveConfig([
        { id: 'frozen', source: frozen.url, reconnectDelayMs: 500, reconnectMaxDelayMs: 2000, stallTimeoutMs: 2000 },
        { id: 'healthy', source: healthy.url, reconnectDelayMs: 500, reconnectMaxDelayMs: 2000, stallTimeoutMs: 2000 },
      ]),
    );
    const [frozenStatus, healthyStatus] = runtime.cameras;
    await settle(() => frozenStatus.framesProcessed >= 5 && healthyStatus.framesProcessed >= 5, 60_000);
    const rateBefore = await processedIn(healthyStatus, 4000);

    frozen.process.kill('SIGSTOP');
    const stoppedAt = performance.now();
    await settle(() => states(ws.messages, 'frozen').includes('stalled'), 10_000);
    const detectedSeconds = (performance.now() - stoppedAt) / 1000;
    t.ok(
      states(ws.messages, 'frozen').includes('stalled'),
      `stalled detected after ${detectedSeconds.toFixed(1)} s (watchdog 2 s)`,
    );
    t.ok(detectedSeconds < 2 + 1.5, 'within the watchdog time plus a frame and an inference');
    const rateDuring = await processedIn(healthyStatus, 4000);
    t.comment(
      `healthy camera: ${rateBefore.toFixed(2)} frames/s before, ${rateDuring.toFixed(2)} frames/s while the other one was stalled`,
    );
    t.ok(
      rateDuring >= 0.7 * rateBefore,
      `the healthy camera keeps its pace (${rateDuring.toFixed(2)} vs ${rateBefore.toFixed(2)} frames/s)`,
    );

    frozen.process.kill('SIGCONT');
    const frozenBefore = frozenStatus.framesProcessed;
    await settle(() => frozenStatus.framesProcessed > frozenBefore + 2, 30_000);
    t.ok(frozenStatus.framesProcessed > frozenBefore + 2, 'frames again after SIGCONT');
    t.equal(frozenStatus.state, 'streaming');
    t.equal(healthyStatus.reconnects, 0, 'the healthy camera never reconnected');
  },
);

/** Frames per second a camera processes over the next `ms` milliseconds. */
async function processedIn(status: { framesProcessed: number }, ms: number): Promise<number> {
  const start = status.framesProcessed;
  await new Promise((r) => setTimeout(r, ms));
  return ((status.framesProcessed - start) * 1000) / ms;
}

t.test(
  'a USB camera that is not plugged in yet is reconnecting (with its reason), not failed',
  { skip, timeout: 30_000 },
  async (t) => {
    const { runtime, ws } = await startWithSubscriber(
      t,
      liveConfig([{ id: 'usb', source: '/dev/video97', reconnectDelayMs: 200, reconnectMaxDelayMs: 400 }]),
    );
    await settle(() => states(ws.messages, 'usb').includes('reconnecting'), 15_000);
    const status = ws.messages.find(
      (m): m is CameraStatusMessage => m.type === 'camera_status' && m.state === 'reconnecting',
    );
    t.ok(status, 'reconnecting');
    t.equal(status?.code, 'not-found');
    t.match(status?.reason, /video device does not exist/);
    await new Promise((r) => setTimeout(r, 1500));
    t.equal(runtime.cameras[0].state, 'reconnecting', 'still trying, never failed');
  },
);
