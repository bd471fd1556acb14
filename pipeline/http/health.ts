import type { TrackPublisher } from '../../operators/publish-tracks.js';
import type { CameraStatus } from '../camera/camera-status.js';
import { type HttpRoute, sendJson } from './http-edge.js';

/** Camera states in which a camera is doing what it should: delivering, or deliberately idle (a recording that ended, a camera stopped on purpose). */
const READY_STATES: ReadonlySet<CameraStatus['state']> = new Set(['streaming', 'ended', 'stopped']);

/** What is not ready: one line per camera that is not streaming (or deliberately idle), per camera whose recording failed, and per publisher that cannot deliver. */
export function notReady(cameras: readonly CameraStatus[], publishers: readonly TrackPublisher[]): string[] {
  const problems = cameras
    .filter((c) => !READY_STATES.has(c.state))
    .map((c) => `camera '${c.id}' is ${c.state}: ${c.reason}`);
  for (const c of cameras)
    if (c.recording?.state === 'error' && c.state !== 'stopped')
      problems.push(`camera '${c.id}' is not recording: ${c.recording.reason}`);
  for (const p of publishers) {
    const h = p.health?.();
    if (h && !h.ok) problems.push(`${p.name}: ${h.reason ?? 'cannot deliver'}`);
  }
  return problems;
}

/**
 * Health endpoints for Docker/Kubernetes probes:
 * - `GET /healthz` → 200 `{"status":"ok"}` while the process serves requests (liveness);
 * - `GET /readyz` → 200 `{"ready":true,…}` when every publisher can deliver and every camera is
 *   streaming or deliberately idle, else 503 with `notReady` naming each problem (readiness).
 */
export function healthRoutes(cameras: () => readonly CameraStatus[], publishers: readonly TrackPublisher[]): HttpRoute {
  const started = Date.now();
  return (_request, response, url) => {
    if (url.pathname === '/healthz') {
      sendJson(response, 200, { status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000) });
      return true;
    }
    if (url.pathname === '/readyz') {
      const problems = notReady(cameras(), publishers);
      sendJson(response, problems.length ? 503 : 200, {
        ready: problems.length === 0,
        cameras: Object.fromEntries(cameras().map((c) => [c.id, c.state])),
        ...(problems.length ? { notReady: problems } : {}),
      });
      return true;
    }
    return false;
  };
}
