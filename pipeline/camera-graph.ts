import { identity, retry, throwError, timer, type Observable } from 'rxjs';
import type { CameraConfig } from '../config/schema.js';
import type { Embedder } from '../models/embedder.js';
import type { Segmenter } from '../models/segmenter.js';
import type { Tracker } from '../models/tracker.js';
import type { Tracks } from '../models/tracks.js';
import { FrameCredit } from '../operators/backpressure/frame-credit.js';
import { embedInstances } from '../operators/embed-instances.js';
import { publishTracks, type TrackPublisher } from '../operators/publish-tracks.js';
import { releaseFrame } from '../operators/release-frame.js';
import { sampleFrames, type SamplingStats } from '../operators/sample-frames.js';
import { segmentInstances } from '../operators/segment-instances.js';
import { trackInstances } from '../operators/track-instances.js';
import { frameFolderFrames } from '../operators/sources/frame-folder-frames.js';
import { gstreamerFrames } from '../operators/sources/gstreamer-frames.js';
import { isRetryableSourceError } from '../operators/sources/source-error.js';
import { inferSourceKind, isLive, type SourceProgress, type SourceSpec } from '../operators/sources/source-spec.js';

/** Resolves a camera's config into the spec its source reads. */
export function sourceSpecOf(camera: CameraConfig): SourceSpec {
  return {
    cameraId: camera.id, kind: camera.kind === 'auto' ? inferSourceKind(camera.source) : camera.kind, source: camera.source,
    realtime: camera.realtime, maxFrames: camera.maxFrames, folderFps: camera.folderFps, rtspLatencyMs: camera.rtspLatencyMs,
  };
}

/** What one camera's graph needs from the process. */
export interface CameraGraphParts {
  readonly segmenter: Segmenter;
  readonly embedder: Embedder | null;
  readonly tracker: Tracker;
  readonly publishers: readonly TrackPublisher[];
  readonly withMasks: boolean;
  /** Called before each reconnect of a live source. */
  readonly onReconnect?: (attempt: number, error: Error) => void;
}

/**
 * One camera's graph, as on the design card: source → sample → segment → (embed) → track →
 * publish. Files are read on demand (every frame, bounded memory); live sources (and files
 * with `realtime`) deliver at their own pace and the newest frame wins. Live sources reconnect
 * after a retryable failure (by error code) with the same tracker, so track ids continue.
 */
export function cameraGraph(camera: CameraConfig, parts: CameraGraphParts, stats: SamplingStats, progress?: SourceProgress): Observable<Tracks> {
  const spec = sourceSpecOf(camera);
  const live = isLive(spec);
  const credit = new FrameCredit(live ? 1 : 2);
  const sourceCredit = live ? undefined : credit;
  const frames$ = spec.kind === 'frames' ? frameFolderFrames(spec, sourceCredit, progress) : gstreamerFrames(spec, sourceCredit, progress);
  const reconnecting = (spec.kind === 'rtsp' || spec.kind === 'v4l2') && camera.reconnectDelayMs > 0 && camera.maxReconnects > 0;
  return frames$.pipe(
    reconnecting
      ? retry({
        count: camera.maxReconnects, resetOnSuccess: true,
        delay: (err: Error, attempt: number) => {
          if (!isRetryableSourceError(err)) return throwError(() => err);
          parts.onReconnect?.(attempt, err);
          return timer(camera.reconnectDelayMs);
        },
      })
      : identity,
    sampleFrames(live ? 'latest' : 'every', credit, stats),
    segmentInstances(parts.segmenter),
    embedInstances(parts.embedder),
    trackInstances(parts.tracker),
    publishTracks(parts.publishers, parts.withMasks),
    releaseFrame(credit),
  );
}
