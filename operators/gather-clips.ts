import { map, type MonoTypeOperatorFunction } from 'rxjs';
import type { Tracks } from '../models/tracks.js';

/** What decides which events go into event clips (the camera's `ClipMaker`). */
export interface ClipGatherer {
  /** Looks at one item before it is published; returns event id → clip id for its events that are part of a clip, or null. */
  observe(tracks: Tracks): Readonly<Record<string, string>> | null;
}

/**
 * Hands each item to the camera's clip gatherer before it is published (after zones, whose events
 * can open clips) and stamps the item with the clips its events are part of (`clipOf`), so each
 * lifecycle event names its clip from the start. Items with no such event pass unchanged.
 * ```
 * tracks: -a-b(started 3)-c-|
 * out:    -a-b'-----------c-|    b' = b with clipOf { 'cam:0:3:started': 'cam-0-1' }
 * ```
 */
export function gatherClips(clips: ClipGatherer): MonoTypeOperatorFunction<Tracks> {
  return map((tracks) => {
    const clipOf = clips.observe(tracks);
    return clipOf ? { ...tracks, clipOf } : tracks;
  });
}
