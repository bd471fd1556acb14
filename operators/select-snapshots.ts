import { map, type MonoTypeOperatorFunction } from 'rxjs';
import type { SnapshotSelector, TrackSnapshot } from '../models/analytics/snapshot-selector.js';
import type { Tracks } from '../models/tracks.js';

/**
 * Keeps each track's best frame while the pixels are still in the graph (after tracking, before
 * `recycleFramePixels`), and hands a track's snapshot to `onSnapshot` when the track ends. An item
 * in which tracks with a snapshot ended is stamped with them (`snapshotted`, so their `track_ended`
 * names the `track_snapshot` that follows); the others pass through unchanged.
 * ```
 * tracks:    -a-b-c(e)-|     e: track 3 ended in c
 * snapshots: -----s3---      s3: the best of a, b, c for track 3
 * ```
 * @see SnapshotSelector
 */
export function selectSnapshots(
  selector: SnapshotSelector,
  onSnapshot: (snapshot: TrackSnapshot) => void,
): MonoTypeOperatorFunction<Tracks> {
  return map((tracks) => {
    const snapshots = selector.observe(tracks);
    for (const s of snapshots) onSnapshot(s);
    return snapshots.length ? { ...tracks, snapshotted: snapshots.map((s) => s.trackId) } : tracks;
  });
}
