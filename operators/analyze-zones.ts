import { map, type OperatorFunction } from 'rxjs';
import type { ZoneAnalytics } from '../models/analytics/zone-analytics.js';
import type { Tracks } from '../models/tracks.js';

/**
 * Adds each frame's zone and line events and zone occupancy to the tracker's output (no-op for a
 * camera without zones or lines). Ended tracks leave their zones (`zone_exited` with their dwell).
 * ```
 * tracks: -a-b-(e|)
 * out:    -a'-b'-(e'|)   a' = a with zoneEvents and occupancy
 * ```
 * @see trackInstances, publishTracks
 */
export function analyzeZones(analytics: ZoneAnalytics | null): OperatorFunction<Tracks, Tracks> {
  if (!analytics) return map((t) => t);
  return map((tracks) => {
    const ended = tracks.ended.map((e) => e.trackId);
    if (tracks.kind === 'stream-ended') {
      const { events } = analytics.update([], ended, tracks.ptsMs);
      return { ...tracks, zoneEvents: events };
    }
    const { events, occupancy } = analytics.update(tracks.active, ended, tracks.ptsMs);
    return { ...tracks, zoneEvents: events, occupancy };
  });
}
