import { identity, take, tap, type Observable } from 'rxjs';
import type { CameraConfig } from '../../config/schema.js';
import type { Detections } from '../../models/detections.js';
import type { Embedder } from '../../models/embedder.js';
import type { Frame } from '../../models/frame.js';
import type { Segmenter } from '../../models/segmenter.js';
import type { Tracker } from '../../models/tracker.js';
import type { Tracks } from '../../models/tracks.js';
import { FrameCredit } from '../../operators/backpressure/frame-credit.js';
import { embedInstances } from '../../operators/embed-instances.js';
import { publishTracks, type TrackPublisher } from '../../operators/publish-tracks.js';
import { recycleFramePixels } from '../../operators/recycle-frame-pixels.js';
import { selectSnapshots } from '../../operators/select-snapshots.js';
import { gatherClips, type ClipGatherer } from '../../operators/gather-clips.js';
import type { SnapshotSelector, TrackSnapshot } from '../../models/analytics/snapshot-selector.js';
import { releaseFrame } from '../../operators/release-frame.js';
import type { MessageSequence } from '../../operators/wire/message-sequence.js';
import { sampleFrames, type SamplingStats } from '../../operators/sample-frames.js';
import { segmentInstances } from '../../operators/segment-instances.js';
import { trackInstances } from '../../operators/track-instances.js';
import { analyzeZones } from '../../operators/analyze-zones.js';
import { ZoneAnalytics } from '../../models/analytics/zone-analytics.js';
import type { ConnectionSlots } from '../../operators/sources/connection-slots.js';
import { frameFolderFrames } from '../../operators/sources/frame-folder-frames.js';
import { gstreamerFrames } from '../../operators/sources/gstreamer-frames.js';
import {
  inferSourceKind,
  isCamera,
  isLive,
  type RecordingTarget,
  type SourceProgress,
  type SourceSpec,
} from '../../operators/sources/source-spec.js';
import { superviseLiveSource, type SourceHealthChange } from '../../operators/sources/supervise-live-source.js';

/**
 * Frames of a file in the graph at once: with two CPU inference streams, one frame in each model
 * run, one being letterboxed and one being decoded, embedded, tracked and published (2 → 4 took
 * the 2-core bench from 87 to 98 frames/s); memory stays bounded (4 decoded frames).
 */
const FILE_FRAMES_IN_FLIGHT = 4;

/** Resolves a camera's config into the spec its source reads. */
export function sourceSpecOf(camera: CameraConfig): SourceSpec {
  return {
    cameraId: camera.id,
    kind: camera.kind === 'auto' ? inferSourceKind(camera.source) : camera.kind,
    source: camera.source,
    realtime: camera.realtime,
    maxFrames: camera.maxFrames,
    folderFps: camera.folderFps,
    rtspLatencyMs: camera.rtspLatencyMs,
  };
}

/** Whether a camera's source is kept alive by the supervisor (a camera, with reconnects enabled), rather than read to its end. */
export function isSupervised(camera: CameraConfig, spec: SourceSpec = sourceSpecOf(camera)): boolean {
  return isCamera(spec) && camera.reconnectDelayMs > 0;
}

/** What one camera's graph needs from the process. */
export interface CameraGraphParts {
  readonly segmenter: Segmenter;
  readonly embedder: Embedder | null;
  readonly tracker: Tracker;
  readonly publishers: readonly TrackPublisher[];
  readonly withMasks: boolean;
  /** The camera's message counter (stamps `seq`; kept across reconnects and restarts). */
  readonly sequence: MessageSequence;
  /** Called on each change of a supervised camera's health (connecting, streaming, stalled, reconnecting, failed). */
  readonly onHealth?: (change: SourceHealthChange) => void;
  /** Called with each frame's detections while its pixels are here (viewer pictures); must not keep the pixels. */
  readonly onSegmented?: (detections: Detections) => void;
  /** The process's bound on cameras connecting at once (supervised cameras wait for a slot to connect). */
  readonly connectionSlots?: ConnectionSlots;
  /** Best snapshot per track: the selector keeps each track's best frame, `onSnapshot` gets it when the track ends. */
  readonly snapshots?: { readonly selector: SnapshotSelector; readonly onSnapshot: (snapshot: TrackSnapshot) => void };
  /** Event clips: told every item before it is published, so its events can name their clip. */
  readonly clips?: ClipGatherer;
  /**
   * Where each connection records the camera's stream (asked at every connection: a failed recording
   * is left out until it is retried), and its requests for a new connection (a failed recording can
   * be written again).
   */
  readonly recorder?: { target(): RecordingTarget | null; readonly reconnectRequests?: Observable<string> };
}

/**
 * One camera's graph, as on the design card: source → sample → segment → (embed) → track →
 * publish. GStreamer sources are pulled when the model is free: files lose no frame (bounded
 * memory); live sources (and files with `realtime`) hand over their newest frame, the others
 * dropped natively and counted from the gaps in the frame index. Cameras (RTSP, HTTP,
 * v4l2) are supervised: a loss (error, disconnect, stall) is followed by a reconnect with
 * backoff, with the same tracker and monotonic frame indices, so track ids continue; only a
 * permanent error (by code) or an exhausted `maxReconnects` ends the graph with an error.
 */
export function cameraGraph(
  camera: CameraConfig,
  parts: CameraGraphParts,
  stats: SamplingStats,
  progress?: SourceProgress,
): Observable<Tracks> {
  const spec = sourceSpecOf(camera);
  const live = isLive(spec);
  const credit = new FrameCredit(live ? 1 : FILE_FRAMES_IN_FLIGHT);
  // GStreamer sources pull only when the model can take a frame: a live source's leaky appsink keeps
  // the newest frame meanwhile, so frames the model cannot take are dropped natively, never copied
  // into JS. A paced frame folder releases frames on its own clock; the sampler keeps the newest.
  const pulled = spec.kind !== 'frames' || !live;
  const sourceCredit = pulled ? credit : undefined;
  const read = (s: SourceSpec) => {
    if (s.kind === 'frames') return frameFolderFrames(s, sourceCredit, progress);
    const recording =
      s.kind === 'rtsp' || s.kind === 'http' || s.kind === 'v4l2' ? (parts.recorder?.target() ?? undefined) : undefined;
    return gstreamerFrames(recording ? { ...s, recording } : s, sourceCredit, progress);
  };
  // A supervised source never ends on its own; maxFrames is counted after supervision, so reaching it is the end, not a disconnect.
  const frames$ = isSupervised(camera, spec)
    ? superviseLiveSource(
        () => read({ ...spec, maxFrames: undefined }),
        {
          sourceWaitingSince: () => progress?.waitingSince,
          stallTimeoutMs: camera.stallTimeoutMs,
          slowStallRatio: camera.slowStallRatio,
          slowStallWindowMs: camera.slowStallWindowMs,
          connectTimeoutMs: camera.connectTimeoutMs,
          connectionSlots: parts.connectionSlots,
          backoffInitialMs: camera.reconnectDelayMs,
          backoffMaxMs: camera.reconnectMaxDelayMs,
          maxReconnects: camera.maxReconnects,
          reconnectRequests: parts.recorder?.reconnectRequests,
        },
        (change) => parts.onHealth?.(change),
      ).pipe(camera.maxFrames !== undefined ? take(camera.maxFrames) : identity)
    : read(spec);
  return processFrames(frames$, pulled ? 'every' : 'latest', credit, camera, parts, stats);
}

/**
 * One camera's graph after its source: sample → segment → embed → track → (snapshots) → zones →
 * publish, the frame's pixels given back to its source once tracked (and its best views kept) and
 * its credit at the end.
 * {@link cameraGraph} feeds it from the camera's source; a bench can feed frames from memory.
 * @param sampling 'every': the source reads a frame only after acquiring `credit` (nothing is
 *   dropped here); 'latest': frames are pushed, and while the graph is busy the newest one waits
 *   (older ones are dropped and counted in `stats`)
 * @param credit frames in the graph at once; released when a frame's tracks were published
 */
export function processFrames(
  frames$: Observable<Frame>,
  sampling: 'every' | 'latest',
  credit: FrameCredit,
  camera: CameraConfig,
  parts: CameraGraphParts,
  stats: SamplingStats,
): Observable<Tracks> {
  return frames$
    .pipe(
      sampleFrames(sampling, credit, stats),
      segmentInstances(parts.segmenter),
      parts.onSegmented ? tap(parts.onSegmented) : identity,
      embedInstances(parts.embedder, parts.tracker.appearanceDemand?.bind(parts.tracker)),
      trackInstances(parts.tracker),
    )
    .pipe(
      parts.snapshots ? selectSnapshots(parts.snapshots.selector, parts.snapshots.onSnapshot) : identity,
      recycleFramePixels(), // no stage below reads pixels: the source pulls the next frames into this memory
      analyzeZones(
        camera.zones.length || camera.lines.length
          ? new ZoneAnalytics(camera.zones, camera.lines, camera.zoneHysteresisPx)
          : null,
      ),
      parts.clips ? gatherClips(parts.clips) : identity,
      publishTracks(parts.publishers, parts.withMasks, parts.sequence),
      releaseFrame(credit),
    );
}
