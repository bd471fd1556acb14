import t from 'tap';
import { WebSocket } from 'ws';
import { deliveryFor } from '../pipeline/publishers/websocket-server.js';
import type { TrackMessage } from '../operators/wire/track-messages.js';

const snapshot: TrackMessage = { schema: 'edgevis.tracks.v1', type: 'tracks', camera: 'a', frameIndex: 3, ptsMs: 300, width: 4, height: 4, tracks: [] };
const event: TrackMessage = {
  schema: 'edgevis.tracks.v1', type: 'track_ended', camera: 'a', frameIndex: 3, ptsMs: 300,
  track: { trackId: 1, classId: 0, className: 'person', firstFrame: 0, lastFrame: 3, firstPtsMs: 0, lastPtsMs: 300, hits: 4, meanScore: 0.8, endReason: 'lost-timeout' },
};
const open = (bufferedAmount: number) => ({ readyState: WebSocket.OPEN, bufferedAmount });
const MAX = 1000;

t.test('the slow-client rule: snapshots are skipped over the buffer limit, events are always sent', async (t) => {
  t.equal(deliveryFor(snapshot, null, open(0), MAX), 'send');
  t.equal(deliveryFor(snapshot, null, open(MAX), MAX), 'send', 'at the limit still sent');
  t.equal(deliveryFor(snapshot, null, open(MAX + 1), MAX), 'skip-slow', 'over the limit: skipped');
  t.equal(deliveryFor(event, null, open(50 * MAX), MAX), 'send', 'events are never skipped');
});

t.test('camera filter and closed sockets', async (t) => {
  t.equal(deliveryFor(snapshot, 'a', open(0), MAX), 'send', 'its own camera');
  t.equal(deliveryFor(snapshot, 'b', open(0), MAX), 'ignore', 'another camera');
  t.equal(deliveryFor(event, 'b', open(0), MAX), 'ignore', 'events of another camera too');
  t.equal(deliveryFor(event, null, { readyState: WebSocket.CLOSING, bufferedAmount: 0 }, MAX), 'ignore', 'a closing socket gets nothing');
});
