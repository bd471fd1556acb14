import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolve, sep } from 'node:path';
import { ConfigError, parseCameraConfig } from '../../config/load.js';
import { redactSource } from '../../operators/sources/source-error.js';
import { processingFps, type CameraStatus } from '../camera/camera-status.js';
import type { CameraConfig } from '../../config/schema.js';
import type { Logger } from '../process/logger.js';
import { CameraSetError, type EdgevisRuntime } from '../runtime.js';
import { droppedFrames } from '../camera/camera-status.js';
import { bearerToken, tokenMatches } from '../http/access.js';
import { type HttpRoute, sendJson } from '../http/http-edge.js';

/** Largest request body the API reads, bytes (one camera's config). */
const MAX_BODY_BYTES = 64 * 1024;

/** One camera as the API lists it (the source's password redacted). */
export function cameraView(status: CameraStatus, source: string) {
  return {
    id: status.id,
    source: redactSource(source),
    state: status.state,
    reason: status.reason,
    reconnects: status.reconnects,
    framesProcessed: status.framesProcessed,
    fps: Math.round(processingFps(status) * 100) / 100,
    droppedFrames: droppedFrames(status),
    activeTracks: status.activeTracks,
    tracksStarted: status.tracksStarted,
    ...(status.error ? { error: status.error, errorCode: status.errorCode } : {}),
  };
}

/** One camera as the API shows it ({@link cameraView}, or a fleet camera another node runs). */
export type CameraView = Record<string, unknown> & { readonly id: string };

/**
 * The cameras the API manages: this process's (the runtime's set) or, in a fleet, the site's
 * (the camera list in the engine). Errors: {@link CameraSetError} `exists` / `unknown`.
 */
export interface CameraSet {
  list(): CameraView[];
  add(camera: CameraConfig): Promise<CameraView>;
  remove(id: string): Promise<void>;
  restart(id: string): Promise<CameraView>;
}

/** The runtime's own cameras as a {@link CameraSet}: changes last until the process stops. */
export function runtimeCameraSet(runtime: EdgevisRuntime): CameraSet {
  const sourceOf = (id: string) => runtime.cameraConfigs.find((c) => c.id === id)?.source ?? '';
  return {
    list: () => runtime.cameras.map((s) => cameraView(s, sourceOf(s.id))),
    add: async (camera) => cameraView(runtime.addCamera(camera), camera.source),
    remove: async (id) => runtime.removeCamera(id),
    restart: async (id) => cameraView(runtime.restartCamera(id), sourceOf(id)),
  };
}

/**
 * The camera API on the HTTP edge, every request authenticated with `Authorization: Bearer <token>`
 * (401 otherwise):
 * - `GET /api/cameras` → 200, the cameras with state, reason, counters;
 * - `POST /api/cameras` with one camera's config as JSON (as in the config file's `cameras[]`) → 201, or 400 naming the invalid fields
 *   (a reserved id, a source `allowedSources` does not allow: {@link sourceAllowed}), 409 when the id runs;
 * - `DELETE /api/cameras/<id>` → 204 (its open tracks end with reason `camera-removed`), 404 when unknown;
 * - `POST /api/cameras/<id>/restart` → 202 (tracks end with `camera-restarted`; ids continue), 404 when unknown.
 * On one machine changes last until the process stops (the config file stays the durable list: reload it with
 * SIGHUP); in a fleet they change the site's camera list (any node's API), and the camera runs where it is assigned.
 * @param cameras the runtime (its own cameras) or a {@link CameraSet} (a fleet's)
 * @param baseDir folder that relative paths in a posted camera resolve against
 */
export function cameraApi(
  cameras: EdgevisRuntime | CameraSet,
  token: string,
  baseDir: string,
  log: Logger,
  allowedSources: readonly string[] = DEFAULT_ALLOWED_SOURCES,
): HttpRoute {
  return async (request, response, url) => {
    if (url.pathname !== '/api/cameras' && !url.pathname.startsWith('/api/cameras/')) return false;
    const presented = bearerToken(request);
    if (!presented || !tokenMatches(presented, token)) {
      sendJson(
        response,
        401,
        {
          error:
            'missing or wrong bearer token: send "Authorization: Bearer <token>" (the token of EDGEVIS_API_TOKEN or api.tokenFile)',
        },
        { 'www-authenticate': 'Bearer realm="edgevis"' },
      );
      return true;
    }
    const set = 'list' in cameras ? cameras : runtimeCameraSet(cameras);
    const list = () => set.list();
    if (url.pathname === '/api/cameras') {
      if (request.method === 'GET') {
        sendJson(response, 200, { cameras: list() });
        return true;
      }
      if (request.method !== 'POST') {
        sendJson(response, 405, { error: 'use GET or POST' }, { allow: 'GET, POST' });
        return true;
      }
      const body = await readJsonBody(request, response);
      if (body === undefined) return true;
      try {
        const camera = parseCameraConfig(body, 'camera API', baseDir);
        const refusal = sourceAllowed(camera.source, allowedSources);
        if (refusal) {
          sendJson(response, 400, { error: refusal });
          return true;
        }
        const view = await set.add(camera);
        log.info({ camera: camera.id }, 'camera added through the API');
        sendJson(response, 201, view);
      } catch (err) {
        if (err instanceof ConfigError) sendJson(response, 400, { error: err.message });
        else if (err instanceof CameraSetError) sendJson(response, 409, { error: err.message });
        else throw err;
      }
      return true;
    }
    const m = url.pathname.match(/^\/api\/cameras\/([^/]+)(\/restart)?\/?$/);
    let id: string;
    try {
      id = m ? decodeURIComponent(m[1]) : '';
    } catch {
      id = '';
    }
    if (!m || !id) {
      sendJson(response, 404, { error: `no such endpoint: ${url.pathname}` });
      return true;
    }
    try {
      if (m[2] && request.method === 'POST') {
        sendJson(response, 202, await set.restart(id));
      } else if (!m[2] && request.method === 'DELETE') {
        await set.remove(id);
        response.writeHead(204).end();
      } else if (!m[2] && request.method === 'GET') {
        const view = list().find((c) => c.id === id);
        if (!view) throw new CameraSetError('unknown', id);
        sendJson(response, 200, view);
      } else {
        sendJson(
          response,
          405,
          { error: m[2] ? 'use POST to restart' : 'use GET or DELETE' },
          { allow: m[2] ? 'POST' : 'GET, DELETE' },
        );
      }
    } catch (err) {
      if (err instanceof CameraSetError) sendJson(response, 404, { error: err.message });
      else throw err;
    }
    return true;
  };
}

/** What the camera API accepts when `api.allowedSources` is not set: network cameras only. */
export const DEFAULT_ALLOWED_SOURCES: readonly string[] = ['rtsp', 'rtsps', 'http', 'https'];

/**
 * Whether an API client may add a camera reading `source`: a URL whose scheme is listed in
 * `allowed` (e.g. `rtsp`), or a local path (a file, frame folder, `/dev/video0`, or a `file://`
 * URL) inside one of the absolute folders listed. Decided from the text alone — the file system is
 * not asked, so the answer never tells whether a file exists.
 * @returns null when allowed, else why not (for a 400 answer)
 */
export function sourceAllowed(source: string, allowed: readonly string[]): string | null {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source)?.[1]?.toLowerCase();
  const schemes = allowed.filter((a) => !a.startsWith('/')).map((a) => a.toLowerCase().replace(/:(\/\/)?$/, ''));
  const roots = allowed.filter((a) => a.startsWith('/')).map((a) => resolve(a));
  const list = `api.allowedSources allows ${[...schemes.map((x) => `${x}://`), ...roots].join(', ') || 'nothing'}`;
  if (scheme !== undefined && scheme !== 'file') {
    return schemes.includes(scheme)
      ? null
      : `sources with the scheme ${scheme}:// may not be added through the API (${list}); an operator can allow it in the config`;
  }
  let path = source;
  if (scheme === 'file') {
    try {
      path = decodeURIComponent(new URL(source).pathname);
    } catch {
      return 'malformed file:// URL';
    }
  }
  const absolute = resolve(path);
  if (roots.some((root) => absolute === root || absolute.startsWith(root.endsWith(sep) ? root : root + sep)))
    return null;
  return `local files and devices may not be added through the API unless they are inside a folder listed in api.allowedSources (${list})`;
}

/** Reads a JSON request body of at most MAX_BODY_BYTES; answers 413/400 itself and returns undefined then. */
async function readJsonBody(request: IncomingMessage, response: ServerResponse): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) {
      sendJson(response, 413, { error: `body larger than ${MAX_BODY_BYTES} bytes` }, { connection: 'close' });
      request.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (err) {
    sendJson(response, 400, {
      error: `the body is not JSON (${(err as Error).message}); send one camera, e.g. {"id":"door","source":"rtsp://…"}`,
    });
    return undefined;
  }
}
