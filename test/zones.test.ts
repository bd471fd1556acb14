// Zones and lines: geometry, hysteresis (no event storm from jitter on a boundary), dwell, directions.
import t from 'tap';
import {
  anchorOf,
  insidePolygon,
  sideOfLine,
  signedDistanceToPolygon,
  ZoneAnalytics,
} from '../models/analytics/zone-analytics.js';
import { parseConfig } from '../config/load.js';

const square = [
  [100, 100],
  [200, 100],
  [200, 200],
  [100, 200],
] as const;
/** A person box whose bottom centre (the anchor) is at (x, y). */
const at = (trackId: number, x: number, y: number) => ({
  trackId,
  box: [x - 10, y - 50, x + 10, y] as [number, number, number, number],
});

t.test('geometry', async (t) => {
  t.same(anchorOf([10, 20, 30, 80]), [20, 80], 'anchor = bottom centre');
  t.ok(insidePolygon([150, 150], square) && !insidePolygon([250, 150], square));
  t.equal(signedDistanceToPolygon([150, 110], square), 10, 'inside: positive distance to the nearest edge');
  t.equal(signedDistanceToPolygon([150, 90], square), -10, 'outside: negative');
  const line = { name: 'l', from: [0, 0], to: [100, 0] } as const; // pointing right: left is up (y < 0)
  t.equal(sideOfLine([50, -20], line, 5), 1, 'left of from→to');
  t.equal(sideOfLine([50, 20], line, 5), -1, 'right');
  t.equal(sideOfLine([50, 3], line, 5), 0, 'within the hysteresis: no side');
  t.equal(sideOfLine([150, 20], line, 5), 0, 'beyond the segment: no side');
});

t.test(
  'a track walking into and out of a zone: one entry, one exit with its dwell; jitter on the edge gives nothing',
  async (t) => {
    const zones = new ZoneAnalytics([{ name: 'door', polygon: square }], [], 8);
    const events: string[] = [];
    // Jitter around the left edge (x = 100 ± 5): never 8 px inside or outside.
    for (let f = 0; f < 10; f++)
      events.push(...zones.update([at(1, f % 2 ? 95 : 105, 150)], [], f * 100).events.map((e) => e.kind));
    t.same(events, [], 'no event while it jitters on the boundary');
    t.same(zones.update([at(1, 130, 150)], [], 1000).events, [{ kind: 'zone_entered', zone: 'door', trackId: 1 }]);
    t.same(zones.update([at(1, 150, 150)], [], 1100).occupancy, { door: 1 }, 'occupancy counts it');
    t.same(zones.update([at(1, 230, 150)], [], 2500).events, [
      { kind: 'zone_exited', zone: 'door', trackId: 1, dwellMs: 1500 },
    ]);
    zones.update([at(2, 150, 150)], [], 3000);
    t.same(
      zones.update([], [2], 3400).events,
      [{ kind: 'zone_exited', zone: 'door', trackId: 2, dwellMs: 400 }],
      'a track that ends inside leaves the zone',
    );
  },
);

t.test('line crossings, both directions, with hysteresis', async (t) => {
  const zones = new ZoneAnalytics([], [{ name: 'gate', from: [300, 0], to: [300, 400] }], 8); // pointing down: left is +x
  const path = [250, 296, 304, 296, 304, 350, 305, 250];
  const got = path.flatMap((x, f) => zones.update([at(7, x, 200)], [], f * 100).events);
  t.same(
    got.map((e) => (e.kind === 'line_crossed' ? e.direction : e.kind)),
    ['right-to-left', 'left-to-right'],
    'two crossings, the jitter at ±4 px ignored',
  );
});

t.test('config: zones need 3 points, names unique, lines two points', async (t) => {
  const cam = (extra: Record<string, unknown>) => () =>
    parseConfig({ cameras: [{ id: 'c', source: 'x', ...extra }] }, 'test');
  t.throws(
    cam({
      zones: [
        {
          name: 'a',
          polygon: [
            [0, 0],
            [1, 1],
          ],
        },
      ],
    }),
    /cameras\[0\]\.zones\[0\]\.polygon: a zone needs at least 3 points/,
  );
  t.throws(
    cam({ zones: [{ name: 'a', polygon: square }], lines: [{ name: 'a', from: [0, 0], to: [5, 5] }] }),
    /name 'a' is used twice/,
  );
  t.throws(cam({ lines: [{ name: 'l', from: [3, 3], to: [3, 3] }] }), /a line needs two different points/);
  t.throws(
    cam({
      zones: [
        {
          name: 'a',
          polygon: [
            [-1, 0],
            [1, 1],
            [2, 0],
          ],
        },
      ],
    }),
    /polygon/,
  );
});
