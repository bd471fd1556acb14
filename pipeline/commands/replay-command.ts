import { SingleBar } from 'cli-progress';
import { resolve } from 'node:path';
import { ConfigError, configFromCommandLine } from '../../config/command-line.js';
import type { EdgevisConfig } from '../../config/schema.js';
import { processingFps, type CameraStatus } from '../camera/camera-status.js';
import { createLogger } from '../process/logger.js';
import { replayRecording } from '../replay/replay.js';
import { droppedFrames } from '../camera/camera-status.js';

/** Flags of `edgevis replay`. */
export interface ReplayFlags {
  out?: string;
  realtime?: boolean;
  config?: string;
  model?: string;
  maxFrames?: number;
  classes?: string[];
  fps?: number;
  serve?: boolean;
  logLevel?: string;
}

/** Where the event log goes when --out is not given (result formats need --out). */
export const DEFAULT_REPLAY_DIR = 'edgevis-replay';

/** Progress on a terminal (bar: frames done / total, fps, ETA) or plain lines every 5 s when not a TTY. */
function progressReporter(tty: boolean): { update(status: CameraStatus): void; stop(): void } {
  if (tty) {
    const bar = new SingleBar({
      format: 'replay |{bar}| {value}/{total} frames | {rate} fps | {dropped} dropped | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 30,
    });
    let started = false;
    return {
      update(s) {
        const total = s.source.expectedFrames ?? s.framesProcessed;
        const payload = { rate: processingFps(s).toFixed(1), dropped: droppedFrames(s) };
        if (!started) {
          bar.start(total, 0, payload);
          started = true;
        }
        bar.setTotal(Math.max(total, s.framesProcessed));
        bar.update(s.framesProcessed, payload);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastLine = 0;
  return {
    update(s) {
      const now = performance.now();
      if (now - lastLine < 5000) return;
      lastLine = now;
      const total = s.source.expectedFrames;
      const fps = processingFps(s);
      const eta = total && fps > 0 ? ` ETA ${Math.round((total - s.framesProcessed) / fps)} s` : '';
      process.stdout.write(
        `replay: ${s.framesProcessed}${total ? `/${total}` : ''} frames, ${fps.toFixed(1)} fps, ${droppedFrames(s)} dropped${eta}\n`,
      );
    },
    stop() {},
  };
}

/**
 * `edgevis replay <source>`: the live graph on a recording, with a progress display, writing
 * `<out>/events.jsonl` (+ result formats with --out) and printing a summary.
 * @returns exit code: 0 ok, 1 source/model failure, 2 bad config
 */
export async function replayCommand(source: string, flags: ReplayFlags): Promise<number> {
  const log = createLogger(flags.logLevel ?? process.env.LOG_LEVEL ?? 'warn');
  let config: EdgevisConfig;
  try {
    config = await configFromCommandLine({
      config: flags.config,
      source: [source],
      model: flags.model,
      mqtt: !!flags.serve,
      ws: !!flags.serve,
      realtime: flags.realtime,
      maxFrames: flags.maxFrames,
      classes: flags.classes,
      folderFps: flags.fps,
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`edgevis: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const outDir = resolve(flags.out ?? DEFAULT_REPLAY_DIR);
  const progress = progressReporter(process.stdout.isTTY === true);
  let metrics: Awaited<ReturnType<typeof replayRecording>>;
  try {
    metrics = await replayRecording(config, {
      logger: log,
      outDir,
      results: flags.out !== undefined,
      onProgress: (s) => progress.update(s),
      beforeCameras: async ({ websocketUrl }) => {
        if (websocketUrl)
          process.stdout.write(
            `  viewer:    ${websocketUrl.replace(/^ws/, 'http')}  (metrics: ${websocketUrl.replace(/^ws/, 'http')}metrics)\n`,
          );
      },
    });
  } catch (err) {
    progress.stop();
    process.stderr.write(`edgevis: ${(err as Error).message}\n`);
    return 1;
  }
  progress.stop();
  if (metrics.error) {
    process.stderr.write(`edgevis: ${metrics.error}\n`);
    return 1;
  }
  process.stdout.write(
    `replayed ${metrics.frames} frames (${metrics.dropped} dropped) in ${(metrics.wallMs / 1000).toFixed(1)} s = ${metrics.fps} fps, ` +
      `${metrics.tracksStarted} tracks, ${metrics.messages} messages\n`,
  );
  process.stdout.write(`  event log: ${resolve(outDir, 'events.jsonl')}\n`);
  if (flags.out !== undefined)
    process.stdout.write(
      `  results:   ${outDir}/{mot.txt, mots.txt, ytvis.json, davis/}  (score with: edgevis eval --gt <gt> --pred ${outDir})\n`,
    );
  return 0;
}
