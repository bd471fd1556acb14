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

/**
 * Serves `file` as `rtsp://127.0.0.1:<port>/<mount>` at `fps` frames per second with gst-rtsp-server
 * (Debian gir1.2-gst-rtsp-server-1.0 + python3-gi, run by /usr/bin/python3).
 * @throws Error when the server does not report READY within `timeoutMs`
 */
export async function startRtspCamera(file: string, options: { fps?: number; mount?: string; port?: number; timeoutMs?: number } = {}): Promise<SimulatedRtspCamera> {
  const port = options.port ?? await freePort();
  const child = spawn('/usr/bin/python3', [scriptPath(), file, String(port), options.mount ?? 'camera', String(options.fps ?? 10)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`RTSP camera did not start within ${options.timeoutMs ?? 10000} ms: ${stderr}`)), options.timeoutMs ?? 10000);
    child.stdout!.on('data', (d) => {
      const m = String(d).match(/READY (\S+)/);
      if (m) { clearTimeout(timer); resolveUrl(m[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`RTSP camera exited with ${code}: ${stderr}`)); });
  });
  return {
    url, process: child,
    stop: () => new Promise<void>((done) => {
      if (child.exitCode !== null) { done(); return; }
      child.once('exit', () => done());
      child.kill('SIGTERM');
    }),
  };
}
