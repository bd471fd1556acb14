import { startRtspCamera } from '../../simulate/rtsp-camera.js';

/** Flags of `edgevis simulate-camera`. */
export interface SimulateCameraFlags {
  /** Frames per second the camera delivers. */
  readonly fps: number;
  readonly loop?: boolean;
  /** TCP port on 127.0.0.1 (default: a free one). */
  readonly port?: number;
  /** URL path. */
  readonly mount: string;
  /** `jpeg` (RTP/JPEG) or `h264` (x264, as IP cameras). */
  readonly codec: string;
}

/**
 * `edgevis simulate-camera FILE`: serves a recording as a live RTSP camera on 127.0.0.1
 * (gst-rtsp-server) until SIGINT/SIGTERM, for testing without hardware.
 * @returns the exit code once the server is up (1 when it could not start); the process then lives
 *   as long as the server does
 */
export async function simulateCameraCommand(file: string, flags: SimulateCameraFlags): Promise<number> {
  try {
    const camera = await startRtspCamera(file, {
      fps: flags.fps,
      loop: !!flags.loop,
      port: flags.port,
      mount: flags.mount,
      codec: flags.codec === 'h264' ? 'h264' : 'jpeg',
    });
    process.stdout.write(
      `serving ${file} at ${flags.fps} fps${flags.loop ? ', looping' : ''}: ${camera.url}\n  e.g. edgevis run --source ${camera.url}\n`,
    );
    const stop = () => {
      void camera.stop().then(() => process.exit(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    camera.process.once('exit', (code) => {
      process.exitCode = code ?? 0;
    });
    return 0;
  } catch (err) {
    process.stderr.write(`edgevis: ${(err as Error).message}\n`);
    return 1;
  }
}
