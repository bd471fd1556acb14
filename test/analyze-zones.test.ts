import t from 'tap';
import { ZoneAnalytics } from '../models/analytics/zone-analytics.js';
import type { StreamEnded, Tracks } from '../models/tracks.js';
import { analyzeZones } from '../operators/analyze-zones.js';
import { marbles } from './helpers/marbles.js';
import { frameTracks as item } from './helpers/operator-doubles.js';

t.test('analyzeZones: zone events and occupancy on the item of the frame they happen in', async (t) => {
  marbles(t).run(({ cold, expectObservable }) => {
    const zones = new ZoneAnalytics(
      [
        {
          name: 'door',
          polygon: [
            [50, 0],
            [100, 0],
            [100, 100],
            [50, 100],
          ],
        },
      ],
      [],
      0,
    );
    const a = item(0, [0, 0, 10, 40]),
      b = item(1, [60, 0, 70, 40]);
    const end: StreamEnded = {
      kind: 'stream-ended',
      cameraId: 'cam',
      frameIndex: 1,
      ptsMs: 100,
      ended: [
        {
          ...(b.ended[0] ?? {
            trackId: 1,
            classId: 0,
            className: 'person',
            firstFrame: 0,
            lastFrame: 1,
            firstPtsMs: 0,
            lastPtsMs: 100,
            hits: 2,
            meanScore: 0.9,
          }),
        },
      ],
    };
    expectObservable(cold<Tracks>('a-b-(e|)', { a, b, e: end }).pipe(analyzeZones(zones))).toBe('a-b-(e|)', {
      a: { ...a, zoneEvents: [], occupancy: { door: 0 } },
      b: { ...b, zoneEvents: [{ kind: 'zone_entered', zone: 'door', trackId: 1 }], occupancy: { door: 1 } },
      e: { ...end, zoneEvents: [{ kind: 'zone_exited', zone: 'door', trackId: 1, dwellMs: 0 }] },
    });
  });
  marbles(t).run(({ cold, expectObservable }) => {
    const a = item(0, [0, 0, 10, 10]);
    expectObservable(cold<Tracks>('a|', { a }).pipe(analyzeZones(null))).toBe('a|', { a });
  });
});
