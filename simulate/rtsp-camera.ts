import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A recording served as an RTSP camera on 127.0.0.1. */
export interface SimulatedRtspCamera {
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Asks the OS for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

function scriptPath(): string {
  // simulate/rtsp-camera.ts or dist/simulate/rtsp-camera.js: the .py stays in the source tree.
  const here = dirname(fileURLToPath(import.meta.url));
  const root = here.endsWith(join('dist', 'simulate')) ? resolve(here, '../..') : resolve(here, '..');
  return join(root, 'simulate', 'rtsp-camera.py');
}

/** Options of {@link startRtspCamera}. */
export interface RtspCameraOptions {
  /** Frames per second the camera delivers (every decoded frame is re-timed to this rate); default 10. */
  readonly fps?: number;
  /** Restart at the start of the file at its end, forever (default: end the stream). */
  readonly loop?: boolean;
  /** URL path; default 'camera'. */
  readonly mount?: string;
  /** TCP port on 127.0.0.1; default a free one. */
  readonly port?: number;
  /** How long to wait for the server to listen, ms; default 10000. */
  readonly timeoutMs?: number;
  /** What the camera streams: 'jpeg' (RTP/JPEG, default) or 'h264' (x264enc, as IP cameras; needs gstreamer1.0-plugins-ugly). */
  readonly codec?: 'jpeg' | 'h264';
  /** H.264: a keyframe every this many frames; default 2 s of frames. */
  readonly gop?: number;
}

/**
 * Serves `file` (any recording GStreamer decodes) as `rtsp://127.0.0.1:<port>/<mount>` at
 * `fps` frames per second, optionally looping, with gst-rtsp-server (Debian
 * gir1.2-gst-rtsp-server-1.0 + python3-gi, run by /usr/bin/python3): a live camera for tests
 * and demos without hardware.
 * @throws Error when the server does not report READY within `timeoutMs`, or exits (e.g. undecodable file)
 */
export async function startRtspCamera(file: string, options: RtspCameraOptions = {}): Promise<SimulatedRtspCamera> {
  const port = options.port ?? (await freePort());
  const args = [
    scriptPath(),
    file,
    String(port),
    options.mount ?? 'camera',
    String(options.fps ?? 10),
    ...(options.loop ? ['--loop'] : []),
    ...(options.codec ? ['--codec', options.codec] : []),
    ...(options.gop ? ['--gop', String(options.gop)] : []),
  ];
  const child = spawn('/usr/bin/python3', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`RTSP camera did not start within ${options.timeoutMs ?? 10000} ms: ${stderr}`)),
      options.timeoutMs ?? 10000,
    );
    child.stdout!.on('data', (d) => {
      const m = String(d).match(/READY (\S+)/);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`RTSP camera exited with ${code}: ${stderr}`));
    });
  });
  return {
    url,
    process: child,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) {
          done();
          return;
        }
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
