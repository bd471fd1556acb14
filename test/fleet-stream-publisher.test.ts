import t from 'tap';
import type { FleetEngine } from '../pipeline/fleet/fleet-engine.js';
import { fleetNames } from '../pipeline/fleet/fleet-names.js';
import { FleetStreamPublisher } from '../pipeline/fleet/stream-publisher.js';
import type { TrackMessage } from '../operators/wire/track-messages.js';
import { settle } from './helpers/subscribers.js';

/** A stand-in for the engine: records what the stream stored, de-duplicating by message id as JetStream does. */
function fakeEngine() {
  const stored: { subject: string; data: string; msgID: string }[] = [];
  const ids = new Set<string>();
  const engine = {
    state: 'connected' as 'connected' | 'reconnecting',
    names: fleetNames('site'),
    failNext: 0,
    attempts: [] as string[],
    js: {
      publish: async (subject: string, data: string, opts: { msgID: string }) => {
        engine.attempts.push(opts.msgID);
        if (engine.failNext > 0) {
          engine.failNext--;
          // A server killed after storing: the acknowledgement is lost, the message is not.
          if (!ids.has(opts.msgID)) {
            ids.add(opts.msgID);
            stored.push({ subject, data, msgID: opts.msgID });
          }
          throw new Error('TIMEOUT');
        }
        const duplicate = ids.has(opts.msgID);
        if (!duplicate) {
          ids.add(opts.msgID);
          stored.push({ subject, data, msgID: opts.msgID });
        }
        return { stream: 'site_events', seq: stored.length, duplicate };
      },
    },
  };
  return { engine, stored };
}

const event = (camera: string, seq: number, epoch = 1): TrackMessage =>
  ({ schema: 'edgevis.tracks.v3', type: 'camera_status', camera, seq, epoch }) as unknown as TrackMessage;

t.test('every message stored once, in order, a lost acknowledgement retried with the same id', async (t) => {
  const { engine, stored } = fakeEngine();
  const p = new FleetStreamPublisher(engine as unknown as FleetEngine, 100);
  engine.failNext = 2;
  for (let i = 1; i <= 5; i++) p.publish(event('door', 1000 + i), JSON.stringify(event('door', 1000 + i)));
  await settle(() => p.counters.buffered === 0, 3000);
  t.same(
    stored.map((s) => s.msgID),
    ['door:1001', 'door:1002', 'door:1003', 'door:1004', 'door:1005'],
  );
  t.equal(stored[0].subject, 'site.events.door', 'events and states on the events subject');
  t.ok(engine.attempts.length >= 7, `two lost acknowledgements retried (${engine.attempts.length} attempts)`);
  t.ok(p.counters.duplicates >= 1, 'a retried message was found stored already (a duplicate, not stored twice)');
  t.equal(p.counters.acknowledged + p.counters.duplicates, 5, 'every message acknowledged once');
  await p.close();
});

t.test('engine away: buffered up to the bound, oldest dropped, the drop announced as a gap on return', async (t) => {
  const { engine, stored } = fakeEngine();
  engine.state = 'reconnecting';
  const p = new FleetStreamPublisher(engine as unknown as FleetEngine, 100);
  for (let i = 1; i <= 130; i++) p.publish(event('door', 1000 + i), JSON.stringify(event('door', 1000 + i)));
  await new Promise((r) => setTimeout(r, 150));
  t.equal(stored.length, 0, 'nothing sent while the engine is away');
  t.equal(p.counters.buffered, 100);
  t.equal(p.counters.dropped, 30);
  engine.state = 'connected';
  await settle(() => p.counters.buffered === 0, 3000);
  const gap = JSON.parse(stored[0].data);
  t.match(gap, { type: 'gap', camera: 'door', cause: 'buffer-overflow', fromSeq: 1001, toSeq: 1030 }, 'gap first');
  t.same(
    stored.slice(1).map((s) => JSON.parse(s.data).seq),
    Array.from({ length: 100 }, (_, i) => 1031 + i),
    'then the 100 kept, in order',
  );
  await p.close();
});

t.test('fence: a lost lease drops what its epoch had not sent', async (t) => {
  const { engine, stored } = fakeEngine();
  engine.state = 'reconnecting';
  const p = new FleetStreamPublisher(engine as unknown as FleetEngine, 100);
  p.publish(event('door', 1001, 1), '{"a":1}');
  p.publish(event('yard', 1001, 1), '{"b":1}');
  p.fence('door', 1);
  engine.state = 'connected';
  await settle(() => p.counters.buffered === 0, 3000);
  t.same(
    stored.map((s) => s.msgID),
    ['yard:1001'],
  );
  t.equal(p.counters.fenced, 1);
  t.same(p.health(), { ok: true });
  await p.close();
});
