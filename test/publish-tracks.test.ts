// publishTracks: items pass unchanged; every publisher gets the same messages, numbered, events before the snapshot.
import { lastValueFrom, of, toArray } from 'rxjs';
import t from 'tap';
import type { Tracks } from '../models/tracks.js';
import { publishTracks } from '../operators/publish-tracks.js';
import { MessageSequence } from '../operators/wire/message-sequence.js';
import { detections, recordingPublisher, ScriptedTracker } from './helpers/operator-doubles.js';

t.test('publishTracks', async (t) => {
  const tracker = new ScriptedTracker();
  const items: Tracks[] = [tracker.update(detections(0)), tracker.update(detections(1)), tracker.end()!];
  const a = recordingPublisher(),
    b = recordingPublisher();
  const passed = await lastValueFrom(of(...items).pipe(publishTracks([a, b], false, new MessageSequence()), toArray()));
  t.equal(passed.length, 3, 'items pass through unchanged');
  t.same(
    a.got.map((m) => m.seq),
    [1, 2, 3, 4],
    'one camera sequence number per message, in publishing order',
  );
  t.same(
    a.got.flatMap((m) => (m.type === 'track_started' || m.type === 'track_ended' ? [m.eventId] : [])),
    ['cam:0:1:started', 'cam:0:1:ended'],
    'events carry a stable id: camera, run epoch (0 in a replay), track',
  );
  t.same(
    a.got.map((m) => `${m.type}@${'frameIndex' in m ? m.frameIndex : '-'}`),
    ['track_started@0', 'tracks@0', 'tracks@1', 'track_ended@1'],
    'started events before the frame snapshot; the end of stream gives only ended events, no snapshot',
  );
  t.same(b.json, a.json, 'every publisher gets the same bytes');
  t.same(
    a.json.map((j) => JSON.parse(j)),
    a.got,
    'json is the serialisation of the message',
  );
});
