// The WebSocket contract on a real run: resume after a forced disconnect delivers the missed events
// (by sequence number), per-subscriber filters (kinds, masks, snapshot rate), unknown cameras refused.
import t from 'tap';
import { WebSocket } from 'ws';
import { parseConfig } from '../config/load.js';
import type { TrackMessage, TracksMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { haveInputs, MODEL, quietLogger, VTEST } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';

const isEvent = (m: TrackMessage) =>
  m.type === 'track_started' || m.type === 'track_ended' || m.type === 'camera_status';

t.test(
  'resume, filters and unknown cameras on a real run',
  { skip: !haveInputs && 'inputs missing', timeout: 120_000 },
  async (t) => {
    const clients: Awaited<ReturnType<typeof wsCollector>>[] = [];
    let base = '';
    let first!: WebSocket;
    const firstGot: TrackMessage[] = [];
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [{ id: 'pets', source: VTEST, realtime: true, maxFrames: 120 }],
          model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
          embedder: { kind: 'histogram' },
          publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
        },
        'test',
      ),
      {
        logger: quietLogger,
        beforeCameras: async ({ websocketUrl }) => {
          base = websocketUrl!;
          clients.push(await wsCollector(`${base}cameras/pets`)); // everything: the reference
          clients.push(await wsCollector(`${base}cameras/pets?masks=0&maxFps=2`));
          first = new WebSocket(`${base}cameras/pets?types=events,status`);
          first.on('message', (d) => firstGot.push(JSON.parse(String(d))));
          await new Promise((r) => first.once('open', r));
          const unknown = await new Promise<number>((r) => {
            const ws = new WebSocket(`${base}cameras/nope`);
            ws.on('error', () => undefined); // terminate() after the refusal reports "closed before established"
            ws.once('unexpected-response', (_q, res) => {
              r(res.statusCode ?? 0);
              ws.terminate();
            });
            ws.once('open', () => {
              r(101);
              ws.close();
            });
          });
          t.equal(unknown, 404, 'an unknown camera is refused before the handshake');
        },
      },
    );
    t.teardown(async () => {
      for (const c of clients) c.close();
      await runtime.stop();
    });
    const [all, lite] = clients;

    // The events-only subscriber loses its connection after its first lifecycle events...
    await settle(() => firstGot.filter((m) => m.type === 'track_started').length >= 2, 60_000);
    first.terminate();
    const lastSeen = Math.max(...firstGot.map((m) => (m as { seq: number }).seq));
    await runtime.done; // ...and misses the rest of the run, whose end ends every open track
    await settle(() => false, 500);
    const resumed = await wsCollector(`${base}cameras/pets?types=events,status&since=${lastSeen}`);
    clients.push(resumed);
    await settle(() => false, 500);

    const expected = all.messages.filter(isEvent).map((m) => (m as { seq: number }).seq);
    const got = new Set([...firstGot, ...resumed.messages].filter(isEvent).map((m) => (m as { seq: number }).seq));
    const missedWhileAway = expected.filter(
      (s) => s > lastSeen && !firstGot.some((m) => (m as { seq: number }).seq === s),
    );
    t.ok(missedWhileAway.length > 0, `events happened while it was away (${missedWhileAway.length})`);
    t.same(
      expected.filter((s) => !got.has(s)),
      [],
      `after resuming it has every event and state (${expected.length})`,
    );
    t.notOk(
      resumed.messages.some((m) => m.type === 'tracks'),
      'types=events,status: no snapshots',
    );
    t.notOk(
      resumed.messages.some((m) => (m as { type: string }).type === 'gap'),
      'no gap: everything it missed was still held',
    );

    const liteSnapshots = lite.messages.filter((m): m is TracksMessage => m.type === 'tracks');
    const allSnapshots = all.messages.filter((m): m is TracksMessage => m.type === 'tracks');
    t.ok(
      allSnapshots.some((s) => s.tracks.some((k) => k.mask)),
      'the reference subscriber gets masks',
    );
    t.ok(
      liteSnapshots.length > 0 && liteSnapshots.every((s) => s.tracks.every((k) => k.mask === null)),
      'masks=0: snapshots without masks',
    );
    const seconds = (allSnapshots.at(-1)!.ptsMs - allSnapshots[0].ptsMs) / 1000;
    t.ok(
      liteSnapshots.length <= seconds * 2 + 2 && liteSnapshots.length < allSnapshots.length / 2,
      `maxFps=2: ${liteSnapshots.length} snapshots over ${seconds.toFixed(1)} s (all: ${allSnapshots.length})`,
    );
    t.equal(lite.messages.filter(isEvent).length, all.messages.filter(isEvent).length, 'and every event');
  },
);
