import { map, type MonoTypeOperatorFunction } from 'rxjs';
import type { Tracks } from '../models/tracks.js';
import { recycleFrameBuffer } from './sources/frame-buffer-pool.js';

/**
 * Gives each frame's pixel buffer back to its source once the last stage that reads pixels (the
 * embedder's crops, then the snapshot selection after tracking) is done with it, so the source
 * pulls the next frames into the same memory (see {@link recycleFrameBuffer}), and drops the
 * frame from the item: the stages after it (zones, publish) use boxes and masks only.
 * @see embedInstances, selectSnapshots
 */
export function recycleFramePixels(): MonoTypeOperatorFunction<Tracks> {
  return map((tracks) => {
    if (tracks.kind !== 'frame' || !tracks.frame) return tracks;
    recycleFrameBuffer(tracks.frame.rgb);
    const { frame: _done, ...rest } = tracks;
    return rest;
  });
}
