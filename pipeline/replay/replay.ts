import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EdgevisConfig } from '../../config/schema.js';
import type { CameraConfig } from '../../config/schema.js';
import type { Tracker } from '../../models/tracker.js';
import { ReplayRecorder } from '../publishers/replay-recorder.js';
import { outputProblem } from '../../eval/formats/output-problem.js';
import { processingFps, type CameraStatus } from '../camera/camera-status.js';
import { droppedFrames } from '../camera/camera-status.js';
import type { Logger } from '../process/logger.js';
import { startEdgevis } from '../runtime.js';

/** Wall-clock measurements of one replay (metrics only: never part of the event log). */
export interface ReplayMetrics {
  readonly frames: number;
  /** Frames that never reached the model (dropped by the sampler or, on a paced source, by the source). */
  readonly dropped: number;
  /** Frames of the input that went by: handed over plus dropped at the source. */
  readonly received: number;
  readonly tracksStarted: number;
  readonly messages: number;
  /** Wall time from start to end of stream, ms. */
  readonly wallMs: number;
  /** Frames processed per wall-clock second. */
  readonly fps: number;
  /** Mean segmenter time per processed frame, ms. */
  readonly meanInferenceMs: number;
  readonly state: CameraStatus['state'];
  readonly error?: string;
}

/** Options of {@link replayRecording}. */
export interface ReplayOptions {
  readonly logger: Logger;
  /** Folder for the event log (always) and result formats (with `results`). */
  readonly outDir: string;
  /** Also write MOTChallenge, MOTS, YouTube-VIS and DAVIS outputs. */
  readonly results: boolean;
  /** The tracker; default: the runtime's `MemoryTracker`. */
  readonly createTracker?: (camera: CameraConfig) => Tracker;
  /** Called after every processed frame with the camera's live status (progress bars). */
  readonly onProgress?: (status: CameraStatus) => void;
  /** Awaited once the servers are up (with --serve), before the recording starts: print where to watch, connect. */
  readonly beforeCameras?: (endpoints: { websocketUrl: string | null; mqttUrl: string | null }) => Promise<void>;
}

/**
 * Replays a recording (file, frame folder or RTSP URL: `config.cameras[0]`) through exactly the
 * graph a live camera runs, recording every published message to `<outDir>/events.jsonl` (and,
 * with `results`, the standard result formats). Without `realtime` every frame is processed; with
 * it frames are paced by media time and the newest frame wins, as on a live camera. The event log
 * carries media time and frame indices only, so the same input, config and model give the same
 * bytes. Wall-clock measurements go to `<outDir>/metrics.json`.
 * @throws Error when servers cannot start (see startEdgevis); a failing source is reported in `state`/`error`
 */
export async function replayRecording(config: EdgevisConfig, options: ReplayOptions): Promise<ReplayMetrics> {
  if (config.cameras.length !== 1) throw new Error(`replay takes exactly one source, got ${config.cameras.length}`);
  let stopEarly: (() => void) | null = null;
  // An output that cannot be written (full disk) ends the replay: nothing more would be kept.
  const recorder = new ReplayRecorder(
    options.outDir,
    options.results,
    (m) => options.logger.warn(m),
    () => stopEarly?.(),
  );
  const started = performance.now();
  // The runtime owns the recorder like any publisher: it closes it when start-up fails or at stop.
  const runtime = await startEdgevis(config, {
    logger: options.logger,
    extraPublishers: [recorder],
    createTracker: options.createTracker,
    beforeCameras: options.beforeCameras,
    onTracks: (tracks, status) => {
      if (tracks.kind === 'frame') options.onProgress?.(status);
    },
  });
  stopEarly = () => {
    void runtime.stop();
  };
  if (recorder.outputFailure) stopEarly();
  const [status] = await runtime.done;
  await runtime.stop();
  const wallMs = performance.now() - started;
  const metrics: ReplayMetrics = {
    frames: status.framesProcessed,
    dropped: droppedFrames(status),
    received: status.sampling.received + status.sampling.skippedBySource,
    tracksStarted: status.tracksStarted,
    messages: recorder.counters.messages,
    wallMs: Math.round(wallMs),
    fps: Math.round(processingFps(status) * 100) / 100,
    meanInferenceMs: status.framesProcessed ? Math.round((status.inferenceMs / status.framesProcessed) * 100) / 100 : 0,
    state: status.state,
    ...(recorder.outputFailure ? { error: recorder.outputFailure } : status.error ? { error: status.error } : {}),
  };
  const metricsPath = join(options.outDir, 'metrics.json');
  try {
    writeFileSync(metricsPath, `${JSON.stringify(metrics, null, 2)}\n`);
  } catch (err) {
    return { ...metrics, error: metrics.error ?? outputProblem(metricsPath, err) };
  }
  return metrics;
}
