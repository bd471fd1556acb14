import type { CameraConfig } from '../../../config/schema.js';
import { processingFps, type CameraStatus } from '../../camera/camera-status.js';
import { droppedFrames } from '../../camera/camera-status.js';
import { type HttpRoute, sendJson } from '../http-edge.js';
import { VIEWER_HTML } from './viewer-page.js';

/** A camera of the fleet that another node runs, as the stream shows it (state and owner; no counters). */
export interface RemoteCamera {
  readonly id: string;
  readonly state: string;
  readonly reason: string;
  /** The node that runs it. */
  readonly node: string | null;
  readonly config?: CameraConfig;
}

/**
 * The web viewer on the HTTP edge: `GET /` serves the page (one small HTML file, no external
 * dependencies), `GET /viewer/status` the cameras with state, fps, dropped frames, latency, zones and lines
 * (polled by the page once a second); in a fleet also the cameras other nodes run (`remote`: state and owner
 * node; their tracks come over this node's WebSocket from the stream, their pictures stay on their node). Tracks and pictures come over the WebSocket
 * (`/cameras/<id>?preview=<fps>`).
 */
export function viewerRoutes(
  cameras: () => readonly CameraStatus[],
  configs: () => readonly CameraConfig[] = () => [],
  remote: () => readonly RemoteCamera[] = () => [],
): HttpRoute {
  return (request, response, url) => {
    if (request.method !== 'GET') return false;
    if (url.pathname === '/' || url.pathname === '/index.html') {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
        'content-length': Buffer.byteLength(VIEWER_HTML),
      });
      response.end(VIEWER_HTML);
      return true;
    }
    if (url.pathname === '/viewer/status') {
      const local = cameras();
      const here = new Set(local.map((c) => c.id));
      const others = remote()
        .filter((c) => !here.has(c.id))
        .map((c) => ({
          id: c.id,
          state: c.state,
          reason: c.reason,
          node: c.node,
          fps: 0,
          droppedFrames: 0,
          framesProcessed: 0,
          latencyMs: 0,
          activeTracks: 0,
          reconnects: 0,
          zones: c.config?.zones ?? [],
          lines: c.config?.lines ?? [],
        }));
      sendJson(response, 200, {
        cameras: [
          ...local.map((c) => {
            const config = configs().find((k) => k.id === c.id);
            return {
              id: c.id,
              state: c.state,
              reason: c.reason,
              fps: Math.round(processingFps(c) * 10) / 10,
              droppedFrames: droppedFrames(c),
              framesProcessed: c.framesProcessed,
              latencyMs: Math.round(c.latencyMs),
              activeTracks: c.activeTracks,
              reconnects: c.reconnects,
              zones: config?.zones ?? [],
              lines: config?.lines ?? [],
            };
          }),
          ...others,
        ],
      });
      return true;
    }
    return false;
  };
}
