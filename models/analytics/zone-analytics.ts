import type { ZoneEvent } from '../tracks.js';

/**
 * Zones and lines on one camera's tracks (Frigate zones, supervision's PolygonZone / LineZone,
 * DeepStream analytics ROI and line crossing), decided from one anchor point per track: the
 * bottom centre of its box (where a person stands), in frame pixels.
 *
 * Hysteresis keeps jitter on a boundary from producing event storms: a track enters a zone only
 * once its anchor is inside by at least `hysteresisPx`, and leaves it only once outside by as
 * much; a line is crossed only when the anchor goes from at least `hysteresisPx` on one side to at
 * least as much on the other, within the segment's extent.
 */

/** A point in frame pixels, [x, y], top-left origin. */
export type Point = readonly [number, number];

/** A named polygon (≥ 3 points, frame pixels). */
export interface ZoneSpec {
  readonly name: string;
  readonly polygon: readonly Point[];
}
/** A named line segment from `from` to `to` (frame pixels). */
export interface LineSpec {
  readonly name: string;
  readonly from: Point;
  readonly to: Point;
}

/** The anchor of a box [x1, y1, x2, y2]: its bottom centre. */
export function anchorOf(box: readonly [number, number, number, number] | ArrayLike<number>): Point {
  return [(box[0] + box[2]) / 2, box[3]];
}

/** Whether `p` is inside `polygon` (even-odd rule, ray casting). */
export function insidePolygon(p: Point, polygon: readonly Point[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i],
      [xj, yj] = polygon[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Distance from `p` to segment a–b, pixels. */
export function distanceToSegment(p: Point, a: Point, b: Point): number {
  const dx = b[0] - a[0],
    dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) : 0;
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Signed distance from `p` to `polygon`'s boundary: positive inside, negative outside, pixels. */
export function signedDistanceToPolygon(p: Point, polygon: readonly Point[]): number {
  let d = Infinity;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++)
    d = Math.min(d, distanceToSegment(p, polygon[j], polygon[i]));
  return insidePolygon(p, polygon) ? d : -d;
}

/**
 * Which side of the line `p` is on, with hysteresis: +1 left of from→to (seen from `from` looking
 * to `to`, y down), −1 right, 0 when closer than `hysteresisPx` to the line or beyond its ends
 * (projection outside the segment by more than `hysteresisPx`).
 */
export function sideOfLine(p: Point, line: LineSpec, hysteresisPx: number): -1 | 0 | 1 {
  const [ax, ay] = line.from,
    [bx, by] = line.to;
  const dx = bx - ax,
    dy = by - ay,
    len = Math.hypot(dx, dy);
  if (len === 0) return 0;
  const along = ((p[0] - ax) * dx + (p[1] - ay) * dy) / len;
  if (along < -hysteresisPx || along > len + hysteresisPx) return 0;
  // Cross product (from→to × from→p); with y pointing down, positive is the left-hand side of from→to.
  const signed = ((p[0] - ax) * dy - (p[1] - ay) * dx) / len;
  return signed >= hysteresisPx ? 1 : signed <= -hysteresisPx ? -1 : 0;
}

/**
 * The zone and line state of one camera: feed it each frame's tracks (id and box) with the frame's
 * media time; it returns that frame's events and each zone's occupancy. Deterministic: the same
 * tracks give the same events (replay stays byte-identical).
 */
export class ZoneAnalytics {
  /** Per track: zones it is in (with entry media time) and its last definite side of each line. */
  private readonly state = new Map<number, { zones: Map<string, number>; sides: Map<string, -1 | 1> }>();

  constructor(
    readonly zones: readonly ZoneSpec[],
    readonly lines: readonly LineSpec[],
    readonly hysteresisPx = 8,
  ) {}

  /**
   * Advances by one frame.
   * @param tracks the confirmed tracks matched in this frame (id, box [x1, y1, x2, y2] in frame pixels)
   * @param ended ids of tracks that ended in this frame (they leave every zone)
   * @param ptsMs the frame's media time, ms
   */
  update(
    tracks: readonly { readonly trackId: number; readonly box: readonly [number, number, number, number] }[],
    ended: readonly number[],
    ptsMs: number,
  ): { events: ZoneEvent[]; occupancy: Record<string, number> } {
    const events: ZoneEvent[] = [];
    for (const t of tracks) {
      const s = this.state.get(t.trackId) ?? { zones: new Map<string, number>(), sides: new Map<string, -1 | 1>() };
      this.state.set(t.trackId, s);
      const p = anchorOf(t.box);
      for (const z of this.zones) {
        const d = signedDistanceToPolygon(p, z.polygon);
        if (!s.zones.has(z.name) && d >= this.hysteresisPx) {
          s.zones.set(z.name, ptsMs);
          events.push({ kind: 'zone_entered', zone: z.name, trackId: t.trackId });
        } else if (s.zones.has(z.name) && d <= -this.hysteresisPx) {
          events.push({ kind: 'zone_exited', zone: z.name, trackId: t.trackId, dwellMs: ptsMs - s.zones.get(z.name)! });
          s.zones.delete(z.name);
        }
      }
      for (const l of this.lines) {
        const side = sideOfLine(p, l, this.hysteresisPx);
        if (side === 0) continue;
        const before = s.sides.get(l.name);
        if (before !== undefined && before !== side)
          events.push({
            kind: 'line_crossed',
            line: l.name,
            trackId: t.trackId,
            direction: side === 1 ? 'right-to-left' : 'left-to-right',
          });
        s.sides.set(l.name, side);
      }
    }
    for (const id of ended) {
      const s = this.state.get(id);
      if (!s) continue;
      for (const [zone, since] of s.zones)
        events.push({ kind: 'zone_exited', zone, trackId: id, dwellMs: ptsMs - since });
      this.state.delete(id);
    }
    const occupancy: Record<string, number> = {};
    for (const z of this.zones) occupancy[z.name] = 0;
    for (const s of this.state.values())
      for (const zone of s.zones.keys()) occupancy[zone] = (occupancy[zone] ?? 0) + 1;
    return { events, occupancy };
  }
}
