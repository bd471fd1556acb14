import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { TracksMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, quietLogger, VTEST } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';

t.test(
  'a real RTSP server on 127.0.0.1 streaming the recording: frames arrive, tracks are published',
  { skip: !haveInputs && 'inputs missing' },
  async (t) => {
    const camera = await startRtspCamera(VTEST, { fps: 10, mount: 'pets' });
    t.teardown(() => camera.stop());
    t.match(camera.url, /^rtsp:\/\/127\.0\.0\.1:\d+\/pets$/);
    let ws!: Awaited<ReturnType<typeof wsCollector>>;
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [{ id: 'rtsp', source: camera.url, maxFrames: 40, maxReconnects: 0 }],
          model: { path: MODEL, executionProviders: ['cpu'] },
          publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
        },
        'test',
      ),
      {
        logger: quietLogger,
        beforeCameras: async ({ websocketUrl }) => {
          ws = await wsCollector(websocketUrl!);
        },
      },
    );
    const [status] = await runtime.done;
    await settle(() => ws.messages.some((m) => m.type === 'track_ended'));
    await runtime.stop();
    ws.close();
    t.equal(status.state, 'ended', status.error ?? 'ended after maxFrames');
    t.equal(status.sampling.received, 40, '40 frames arrived over RTSP');
    const snapshots = ws.messages.filter((m): m is TracksMessage => m.type === 'tracks');
    t.ok(
      snapshots.length >= 10,
      `frames reached the model (${snapshots.length}; the rest were dropped as a live camera's should be)`,
    );
    t.equal(snapshots.length + status.sampling.dropped, 40, 'every frame was either processed or counted as dropped');
    t.ok(
      snapshots.every((s) => s.width === 768 && s.height === 576),
      'original frame size kept',
    );
    t.ok(
      snapshots.some((s) => s.tracks.some((tr) => tr.className === 'person')),
      'persons tracked',
    );
    const idx = snapshots.map((s) => s.frameIndex);
    t.ok(
      idx.every((v, i) => i === 0 || v > idx[i - 1]),
      'frame indices increase',
    );
  },
);
