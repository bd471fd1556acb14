// select snapshots: see operators/select-snapshots.ts.
import t from 'tap';
import type { SnapshotSelector, TrackSnapshot } from '../models/analytics/snapshot-selector.js';
import type { Tracks } from '../models/tracks.js';
import { selectSnapshots } from '../operators/select-snapshots.js';
import { marbles } from './helpers/marbles.js';
import { frameTracks as item } from './helpers/operator-doubles.js';

t.test("selectSnapshots: a track's snapshot when it ends, and the item names it", async (t) => {
  const given: TrackSnapshot[] = [];
  const shot = { trackId: 3 } as TrackSnapshot;
  const selector = {
    observe: (x: Tracks) => (x.ended.some((e) => e.trackId === 3) ? [shot] : []),
  } as unknown as SnapshotSelector;
  marbles(t).run(({ cold, expectObservable }) => {
    const a = item(0, [0, 0, 10, 10]),
      c = item(2, [0, 0, 10, 10], [3]);
    expectObservable(cold<Tracks>('a-c|', { a, c }).pipe(selectSnapshots(selector, (s) => given.push(s)))).toBe(
      'a-c|',
      { a, c: { ...c, snapshotted: [3] } },
    );
  });
  t.same(given, [shot], 'handed over once, when the track ended');
});
