import type { Detections } from './detections.js';
import type { FrameTracks, StreamEnded, TrackEndReason } from './tracks.js';

/**
 * Online multi-object tracking for one camera: the `track` stage of the graph. One instance
 * per camera holds all identity state, so cameras never share ids, and a source that
 * reconnects keeps the same instance (ids continue).
 *
 * Implementations: `MemoryTracker` (Kalman + ByteTrack stages + appearance memory, the
 * default) and `GreedyIouTracker` (frame-to-frame greedy IoU linking, the baseline).
 */
export interface Tracker {
  /** Camera whose frames this tracker accepts. */
  readonly cameraId: string;
  /**
   * Advances by one frame.
   * @param detections the frame's instances (boxes in frame pixels); embeddings, when present, L2-normalised
   * @throws Error when the detections belong to another camera
   */
  update(detections: Detections): FrameTracks;
  /**
   * Which of a frame's instances need an appearance embedding for the coming {@link update} of
   * that frame (Uint8Array(N), 1 = embed), so the embedder runs only where appearance can change
   * a decision; null = every instance. Must be asked after the previous frame's update. Trackers
   * that do not use appearance need not implement it.
   */
  appearanceDemand?(detections: Detections): Uint8Array | null;
  /**
   * Ends every track still alive at the last processed frame, or returns null when no frame was
   * ever processed. The tracker is empty afterwards but keeps its id counter.
   * @param reason why (default `end-of-stream`; `shutdown` when edgevis stops a live camera, `camera-removed`/`camera-restarted` from the camera API or a config reload)
   */
  end(reason?: TrackEndReason): StreamEnded | null;
}
