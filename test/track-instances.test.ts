// trackInstances: one FrameTracks per frame, a StreamEnded at completion, tracker errors as stream errors.
import { lastValueFrom, of, toArray } from 'rxjs';
import t from 'tap';
import type { Detections } from '../models/detections.js';
import type { Tracker } from '../models/tracker.js';
import type { StreamEnded } from '../models/tracks.js';
import { trackInstances } from '../operators/track-instances.js';
import { detections, ScriptedTracker } from './helpers/operator-doubles.js';

t.test('trackInstances', async (t) => {
  t.test('emits one FrameTracks per frame, then a StreamEnded at completion', async (t) => {
    const out = await lastValueFrom(
      of(detections(0), detections(1)).pipe(trackInstances(new ScriptedTracker()), toArray()),
    );
    t.same(
      out.map((x) => x.kind),
      ['frame', 'frame', 'stream-ended'],
    );
    const end = out[2] as StreamEnded;
    t.equal(end.frameIndex, 1, 'the end carries the last frame index (media time stays monotonic)');
    t.equal(end.ended[0].endReason, 'end-of-stream');
  });
  t.test('no StreamEnded for a stream without frames', async (t) => {
    const out = await lastValueFrom(of<Detections>().pipe(trackInstances(new ScriptedTracker()), toArray()));
    t.same(out, []);
  });
  t.test('a tracker error becomes the stream error', async (t) => {
    const broken: Tracker = {
      cameraId: 'cam',
      update: () => {
        throw new Error('wrong camera');
      },
      end: () => null,
    };
    await t.rejects(lastValueFrom(of(detections(0)).pipe(trackInstances(broken))), /wrong camera/);
  });
});
