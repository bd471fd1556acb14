// A camera that comes back at another resolution is a new coordinate system: its tracks end with
// reason resolution-changed, new tracks start in the new size (ids continue), no line event spans the
// change, and the log says so (and names zones or lines outside the frame). Real RTSP server,
// real model: the recording at 768×576, then the same people rescaled to 1024×768.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { TrackMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { freePort, startRtspCamera, type SimulatedRtspCamera } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, VTEST } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';

t.test(
  'the camera comes back at 1024×768: tracks end (resolution-changed), restart in the new size, no line event across the change',
  { skip: !haveInputs && 'inputs missing', timeout: 180_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-resize-'));
    const larger = join(dir, 'vtest-1024.avi');
    execFileSync(
      'gst-launch-1.0',
      [
        '-q',
        'filesrc',
        `location=${VTEST}`,
        '!',
        'decodebin',
        '!',
        'videoconvert',
        '!',
        'videoscale',
        '!',
        'video/x-raw,width=1024,height=768',
        '!',
        'jpegenc',
        '!',
        'avimux',
        '!',
        'filesink',
        `location=${larger}`,
      ],
      { timeout: 120_000 },
    );
    const port = await freePort();
    let server: SimulatedRtspCamera = await startRtspCamera(VTEST, { fps: 10, loop: true, port, mount: 'cam' });
    t.teardown(() => server.stop());
    const logLines: string[] = [];
    const logger = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _enc, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );
    let ws!: Awaited<ReturnType<typeof wsCollector>>;
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [
            {
              id: 'cam',
              source: server.url,
              reconnectDelayMs: 300,
              reconnectMaxDelayMs: 1000,
              lines: [{ name: 'walkway', from: [400, 150], to: [400, 576] }],
              zones: [
                {
                  name: 'far',
                  polygon: [
                    [700, 50],
                    [900, 50],
                    [900, 200],
                    [700, 200],
                  ],
                },
              ], // beyond 768 px: outside the first size only
            },
          ],
          model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
          embedder: { kind: 'histogram' },
          publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
        },
        'test',
      ),
      {
        logger,
        beforeCameras: async ({ websocketUrl }) => {
          ws = await wsCollector(`${websocketUrl}cameras/cam`);
        },
      },
    );
    t.teardown(async () => {
      ws.close();
      await runtime.stop();
    });
    const snapshots = () =>
      ws.messages.filter((m): m is Extract<TrackMessage, { type: 'tracks' }> => m.type === 'tracks');
    await settle(() => snapshots().some((m) => m.tracks.length >= 3), 60_000);
    t.match(
      logLines.join(''),
      /zone 'far' reach(es)? outside the 768x576 frame/,
      'a zone outside the first frame size is named',
    );

    server.process.kill('SIGKILL');
    await new Promise((r) => server.process.once('exit', r));
    const changeAt = ws.messages.length;
    server = await startRtspCamera(larger, { fps: 10, loop: true, port, mount: 'cam' });
    await settle(() => snapshots().some((m) => m.width === 1024 && m.tracks.length >= 2), 60_000);
    await settle(() => false, 3000); // people walk on in the new size

    const after = ws.messages.slice(changeAt);
    const firstLarge = after.find((m) => m.type === 'tracks' && m.width === 1024);
    t.ok(firstLarge, 'snapshots in the new size');
    const openBefore = new Set(
      ws.messages
        .slice(0, changeAt)
        .filter((m) => m.type === 'track_started')
        .map((m) => (m.type === 'track_started' ? m.track.trackId : 0)),
    );
    for (const m of ws.messages.slice(0, changeAt)) if (m.type === 'track_ended') openBefore.delete(m.track.trackId);
    const endedForSize = after
      .filter((m) => m.type === 'track_ended' && m.track.endReason === 'resolution-changed')
      .map((m) => (m.type === 'track_ended' ? m.track.trackId : 0));
    t.ok(
      endedForSize.length > 0,
      `tracks open before the change ended with reason resolution-changed (${endedForSize.length})`,
    );
    t.same(
      [...openBefore].filter(
        (id) => !endedForSize.includes(id) && !after.some((m) => m.type === 'track_ended' && m.track.trackId === id),
      ),
      [],
      'every track open before the change ended',
    );
    const endIndex = after.findIndex((m) => m.type === 'track_ended' && m.track.endReason === 'resolution-changed');
    t.ok(
      endIndex >= 0 && endIndex < after.indexOf(firstLarge!),
      'they ended before the first snapshot in the new size',
    );
    const largeIds = new Set(
      after
        .filter((m) => m.type === 'tracks' && m.width === 1024)
        .flatMap((m) => (m.type === 'tracks' ? m.tracks.map((k) => k.id) : [])),
    );
    t.notOk(
      [...largeIds].some((id) => openBefore.has(id)),
      'no track of the old size continues in the new one',
    );
    t.ok(Math.min(...largeIds) > Math.max(...openBefore), 'new ids continue after the old ones');
    const crossedByOld = after.filter((m) => m.type === 'line_crossed' && openBefore.has(m.trackId));
    t.same(crossedByOld, [], 'no line event for a track of the old size after the change');
    t.match(
      logLines.join(''),
      /frame size changed from 768x576 to 1024x768: its tracks ended \(resolution-changed\)/,
      'the change is one warning',
    );
  },
);
