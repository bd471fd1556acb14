import type { CameraConfig } from '../../../config/schema.js';
import { processingFps, type CameraStatus } from '../../camera/camera-status.js';
import { droppedFrames } from '../../camera/camera-status.js';
import { type HttpRoute, sendJson } from '../http-edge.js';
import { VIEWER_HTML } from './viewer-page.js';

/**
 * The web viewer on the HTTP edge: `GET /` serves the page (one small HTML file, no external
 * dependencies), `GET /viewer/status` the cameras with state, fps, dropped frames, latency, zones and lines
 * (polled by the page once a second). Tracks and pictures come over the WebSocket
 * (`/cameras/<id>?preview=<fps>`).
 */
export function viewerRoutes(
  cameras: () => readonly CameraStatus[],
  configs: () => readonly CameraConfig[] = () => [],
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
      sendJson(response, 200, {
        cameras: cameras().map((c) => {
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
      });
      return true;
    }
    return false;
  };
}
