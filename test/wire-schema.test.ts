import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import t from 'tap';
import { trackMessagesJsonSchema } from '../operators/wire/message-schema.js';
import { MessageSequence } from '../operators/wire/message-sequence.js';
import { toTrackMessages } from '../operators/wire/track-messages.js';
import { CAMERA_ID_PATTERN } from '../config/camera-id.js';
import { cameraSchema } from '../config/schema.js';

const committed = JSON.parse(
  readFileSync(new URL('../operators/wire/track-messages.schema.json', import.meta.url), 'utf8'),
);

t.test('the committed JSON Schema is generated from the one zod definition', async (t) => {
  t.same(
    committed,
    trackMessagesJsonSchema(),
    'regenerate with: node dist/pipeline/cli.js message-schema > operators/wire/track-messages.schema.json',
  );
});

t.test(
  'messages built by toTrackMessages and numbered by a MessageSequence validate; other shapes do not',
  async (t) => {
    const validate = new Ajv({ allErrors: true, strict: false }).compile(committed);
    const summary = {
      trackId: 2,
      classId: 0,
      className: 'person',
      firstFrame: 1,
      lastFrame: 5,
      firstPtsMs: 100,
      lastPtsMs: 500,
      hits: 5,
      meanScore: 0.77,
    };
    const sequence = new MessageSequence();
    const messages = toTrackMessages(
      {
        kind: 'frame',
        cameraId: 'cam-1',
        frameIndex: 5,
        ptsMs: 500,
        width: 8,
        height: 6,
        detectionCount: 1,
        inferenceMs: 12,
        active: [
          {
            trackId: 2,
            classId: 0,
            className: 'person',
            score: 0.81234,
            box: [1, 1, 3.333, 5],
            mask: { left: 1, top: 1, width: 2, height: 2, data: Uint8Array.from([1, 1, 0, 1]) },
            age: 4,
          },
        ],
        started: [summary],
        ended: [{ ...summary, trackId: 1, endReason: 'lost-timeout' }],
      },
      true,
      sequence.epoch,
    ).map((m) => sequence.stamp(m));
    t.same(
      messages.map((m) => m.type),
      ['track_started', 'tracks', 'track_ended'],
    );
    t.same(
      messages.map((m) => m.seq),
      [1, 2, 3],
    );
    t.ok(
      validate({
        schema: 'edgevis.tracks.v3',
        type: 'gap',
        camera: 'cam-1',
        epoch: 0,
        fromSeq: 4,
        toSeq: 9,
        restarted: false,
        reason: 'evicted',
      }),
      'the WebSocket resume gap is in the schema too',
    );
    for (const m of messages) t.ok(validate(m), `${m.type} validates ${JSON.stringify(validate.errors)}`);
    const [, snapshot] = messages;
    t.notOk(validate({ ...snapshot, camera: 'a/b' }), 'a camera id with "/" is rejected (one rule with the config)');
    t.notOk(validate({ ...snapshot, wallMs: 3 }), 'unknown fields are rejected');
    t.notOk(
      validate({ ...messages[2], track: { ...summary, endReason: 'crashed' } }),
      'unknown end reasons are rejected',
    );
  },
);

t.test('config and wire share the camera-id rule', async (t) => {
  for (const id of ['cam1', 'A_b-9', 'x'.repeat(64)]) {
    t.ok(CAMERA_ID_PATTERN.test(id) && cameraSchema.safeParse({ id, source: 's' }).success, `${id} accepted`);
  }
  for (const id of ['', '-a', 'a b', 'a/b', 'a#', 'x'.repeat(65)]) {
    t.notOk(CAMERA_ID_PATTERN.test(id) || cameraSchema.safeParse({ id, source: 's' }).success, `'${id}' rejected`);
  }
  const reserved = cameraSchema.safeParse({ id: 'nodes', source: 's' });
  t.notOk(reserved.success, "'nodes' is refused: <prefix>/nodes/<nodeId>/status is the node status topic");
  t.match(reserved.error?.issues[0]?.message, /reserved/);
});

t.test(
  "sequence numbers of a run start at epoch × 1000 + 1 and stay above every earlier run's; event ids carry the epoch",
  async (t) => {
    const summary = {
      trackId: 2,
      classId: 0,
      className: 'person',
      firstFrame: 1,
      lastFrame: 5,
      firstPtsMs: 100,
      lastPtsMs: 500,
      hits: 5,
      meanScore: 0.77,
    };
    const ended = {
      kind: 'stream-ended' as const,
      cameraId: 'cam1',
      frameIndex: 5,
      ptsMs: 500,
      ended: [{ ...summary, endReason: 'shutdown' as const }],
    };
    const first = new MessageSequence(1_796_000_000_000);
    const a = toTrackMessages(ended, false, first.epoch).map((m) => first.stamp(m));
    t.same(
      a.map((m) => [m.epoch, m.seq]),
      [[1_796_000_000_000, 1_796_000_000_000_001]],
    );
    t.equal((a[0] as { eventId: string }).eventId, 'cam1:1796000000000:2:ended');
    for (let i = 0; i < 5000; i++) first.stamp(a[0]); // a run that published 5000 more messages
    const next = new MessageSequence(1_796_000_000_010); // restarted 10 ms later
    const b = toTrackMessages(ended, false, next.epoch).map((m) => next.stamp(m));
    t.ok(b[0].seq > first.last, `the next run numbers above the last run (${b[0].seq} > ${first.last})`);
    t.not(
      (b[0] as { eventId: string }).eventId,
      (a[0] as { eventId: string }).eventId,
      'the same track id in a new run is a new event id',
    );
    t.ok(Number.isSafeInteger(new MessageSequence(Date.now()).stamp(a[0]).seq), "today's numbers are safe integers");
    t.equal(new MessageSequence().stamp(a[0]).seq, 1, 'a replay (epoch 0) numbers from 1');
    t.throws(() => new MessageSequence(-1), RangeError);
  },
);
