import { tap, type MonoTypeOperatorFunction } from 'rxjs';
import type { Detections } from '../models/detections.js';
import { recycleFrameBuffer } from './sources/frame-buffer-pool.js';

/**
 * Gives each frame's pixel buffer back to its source once the last stage that reads pixels (the
 * embedder's crops, after the segmenter's letterbox) is done with it, so the source pulls the next
 * frames into the same memory (see {@link recycleFrameBuffer}). From here on `frame.rgb` is empty;
 * the stages after it (track, zones, publish) use boxes, masks and embeddings only.
 * @see embedInstances
 */
export function recycleFramePixels(): MonoTypeOperatorFunction<Detections> {
  return tap((detections) => recycleFrameBuffer(detections.frame.rgb));
}
