import { tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { FrameCredit } from './frame-credit.js';

/**
 * Marks a frame as fully processed at the end of the graph, returning its credit so the source
 * (or the `latest` sampler) may hand over the next one.
 * @see sampleFrames
 */
export function releaseFrame<T>(credit: FrameCredit): MonoTypeOperatorFunction<T> {
  return tap(() => credit.release());
}
