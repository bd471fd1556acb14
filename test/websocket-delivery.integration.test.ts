import t from 'tap';
import { WebSocket } from 'ws';
import { deliveryFor } from '../pipeline/publishers/websocket-server.js';
import type { TrackMessage } from '../operators/wire/track-messages.js';

const snapshot: TrackMessage = {
  schema: 'edgevis.tracks.v3',
  type: 'tracks',
  camera: 'a',
  epoch: 0,
  seq: 7,
  frameIndex: 3,
  ptsMs: 300,
  width: 4,
  height: 4,
  tracks: [],
};
const event: TrackMessage = {
  schema: 'edgevis.tracks.v3',
  type: 'track_ended',
  camera: 'a',
  epoch: 0,
  seq: 8,
  eventId: 'a:1:ended',
  frameIndex: 3,
  ptsMs: 300,
  track: {
    trackId: 1,
    classId: 0,
    className: 'person',
    firstFrame: 0,
    lastFrame: 3,
    firstPtsMs: 0,
    lastPtsMs: 300,
    hits: 4,
    meanScore: 0.8,
    endReason: 'lost-timeout',
  },
};
const open = (bufferedAmount: number) => ({ readyState: WebSocket.OPEN, bufferedAmount });
const MAX = 1000;

t.test('the slow-client rule: snapshots are skipped over the buffer limit, events are always sent', async (t) => {
  t.equal(deliveryFor(snapshot, { camera: null }, open(0), MAX), 'send');
  t.equal(deliveryFor(snapshot, { camera: null }, open(MAX), MAX), 'send', 'at the limit still sent');
  t.equal(deliveryFor(snapshot, { camera: null }, open(MAX + 1), MAX), 'skip-slow', 'over the limit: skipped');
  t.equal(deliveryFor(event, { camera: null }, open(50 * MAX), MAX), 'send', 'events are never skipped');
});

t.test('camera filter and closed sockets', async (t) => {
  t.equal(deliveryFor(snapshot, { camera: 'a' }, open(0), MAX), 'send', 'its own camera');
  t.equal(deliveryFor(snapshot, { camera: 'b' }, open(0), MAX), 'ignore', 'another camera');
  t.equal(deliveryFor(event, { camera: 'b' }, open(0), MAX), 'ignore', 'events of another camera too');
  t.equal(
    deliveryFor(event, { camera: null }, { readyState: WebSocket.CLOSING, bufferedAmount: 0 }, MAX),
    'ignore',
    'a closing socket gets nothing',
  );
});

t.test(
  'WebSocket request paths and options are decided before the handshake; malformed ones are errors, not exceptions',
  async (t) => {
    const { subscriptionOf } = await import('../pipeline/publishers/websocket-server.js');
    t.match(subscriptionOf('/'), { camera: null, masks: true });
    t.match(subscriptionOf('/cameras/door%201'), { camera: 'door 1' });
    t.same(subscriptionOf('/cameras/%E0%A4%A'), { status: 400, error: 'malformed percent-encoding in the camera id' });
    t.match(subscriptionOf('/admin'), { status: 404 });
    const s = subscriptionOf('/cameras/door?types=events,status&masks=0&maxFps=2&since=41');
    t.ok(
      !('error' in s) &&
        [...s.kinds].sort().join() === 'events,status' &&
        !s.masks &&
        s.maxSnapshotFps === 2 &&
        s.since === 41,
      'types, masks, maxFps, since',
    );
    t.match(subscriptionOf('/cameras/door?types=frames'), { status: 400, error: /unknown message types frames/ });
    t.match(subscriptionOf('/?since=3'), { status: 400, error: /need one camera/ });
    t.match(subscriptionOf('/cameras/door?since=-1'), { status: 400 });
  },
);

t.test('per-subscriber filters: kinds and snapshot rate', async (t) => {
  const kinds = (k: string[]) => new Set(k) as Set<'tracks' | 'events' | 'status'>;
  t.equal(
    deliveryFor(snapshot, { camera: null, kinds: kinds(['events']) }, open(0), MAX),
    'ignore',
    'no snapshots for an events-only client',
  );
  t.equal(deliveryFor(event, { camera: null, kinds: kinds(['events']) }, open(0), MAX), 'send');
  t.equal(
    deliveryFor(snapshot, { camera: null, maxSnapshotFps: 2 }, open(0), MAX, 1000, 1400),
    'skip-rate',
    'within 500 ms of the last one',
  );
  t.equal(deliveryFor(snapshot, { camera: null, maxSnapshotFps: 2 }, open(0), MAX, 1000, 1500), 'send', 'after 500 ms');
  t.equal(
    deliveryFor(event, { camera: null, maxSnapshotFps: 2 }, open(0), MAX, 1000, 1001),
    'send',
    'events are never rate-limited',
  );
});

t.test('bearer tokens: parsed from the header, compared in constant time', async (t) => {
  const { bearerToken, tokenMatches } = await import('../pipeline/http/access.js');
  t.equal(bearerToken({ headers: { authorization: 'Bearer abc123' } }), 'abc123');
  t.equal(bearerToken({ headers: { authorization: 'Basic abc' } }), null);
  t.equal(bearerToken({ headers: {} }), null);
  t.ok(tokenMatches('abc', 'abc'));
  t.notOk(tokenMatches('abd', 'abc'));
  t.notOk(tokenMatches('abcd', 'abc'), 'different lengths are no error');
});

t.test(
  'resume beyond the buffer: a gap message names what is no longer held, then the held events follow',
  async (t) => {
    const { TrackWebSocketServer } = await import('../pipeline/publishers/websocket-server.js');
    const server = await TrackWebSocketServer.start('127.0.0.1', 0, MAX);
    t.teardown(() => server.close());
    for (let seq = 1; seq <= 1100; seq++) {
      const m: TrackMessage = { ...event, seq, eventId: `a:${seq}:ended` };
      server.publish(m, JSON.stringify(m));
    }
    const got: { type: string; seq?: number; fromSeq?: number; toSeq?: number }[] = [];
    const client = new WebSocket(`${server.url}cameras/a?since=5`);
    client.on('message', (d) => got.push(JSON.parse(String(d))));
    await new Promise((r) => client.once('open', r));
    const deadline = Date.now() + 3000;
    while (got.length < 1001 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    client.close();
    t.match(got[0], { type: 'gap', fromSeq: 6, toSeq: 100 }, 'seq 6-100 were evicted (1000 are held)');
    t.same(
      got.slice(1).map((m) => m.seq),
      Array.from({ length: 1000 }, (_, i) => 101 + i),
      'then 101-1100 in order',
    );
  },
);
