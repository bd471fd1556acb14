import { tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { Tracks } from '../models/tracks.js';
import type { FrameCredit } from './backpressure/frame-credit.js';

/**
 * Marks a frame as fully processed at the end of the graph, returning its credit so the source
 * (or the `latest` sampler) may hand over the next one. The end of a stream is no frame and
 * returns nothing.
 * @see sampleFrames
 */
export function releaseFrame(credit: FrameCredit): MonoTypeOperatorFunction<Tracks> {
  return tap((tracks) => {
    if (tracks.kind === 'frame') credit.release();
  });
}
