// releaseFrame: a credit back per frame, none for the end of a stream.
import { lastValueFrom, of, toArray } from 'rxjs';
import t from 'tap';
import type { Tracks } from '../models/tracks.js';
import { FrameCredit } from '../operators/backpressure/frame-credit.js';
import { releaseFrame } from '../operators/release-frame.js';
import { detections, flush, ScriptedTracker } from './helpers/operator-doubles.js';

t.test('releaseFrame returns a credit for frames only, never for the end of a stream', async (t) => {
  const credit = new FrameCredit(2);
  await credit.acquire();
  await credit.acquire();
  const tracker = new ScriptedTracker();
  const items: Tracks[] = [tracker.update(detections(0)), tracker.end()!];
  await lastValueFrom(of(...items).pipe(releaseFrame(credit), toArray()));
  let granted = 0;
  void credit.acquire().then(() => {
    granted++;
  });
  void credit.acquire().then(() => {
    granted++;
  });
  await flush();
  t.equal(granted, 1, 'one frame, one credit back');
});
