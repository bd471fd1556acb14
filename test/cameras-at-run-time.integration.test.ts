// Cameras managed while edgevis runs, through the real CLI: the config file edited (a camera added,
// another removed, a third untouched), SIGHUP with a broken file, the authenticated camera API, and the
// HTTP edge refusing malformed WebSocket requests before the handshake — all while a live RTSP camera streams.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import t from 'tap';
import { WebSocket } from 'ws';
import type { CameraStatusMessage, TrackMessage } from '../operators/wire/track-messages.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, VTEST } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';
import { within } from './helpers/cli-process.js';

const cli = resolve('dist/pipeline/cli.js');
const TOKEN = 'test-token-0123456789';

/** The HTTP status a WebSocket upgrade to `url` gets before any handshake (101 when accepted). */
function upgradeStatus(url: string): Promise<number> {
  return new Promise((r) => {
    const ws = new WebSocket(url);
    ws.once('open', () => {
      ws.close();
      r(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      r(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => r(-1));
  });
}

t.test(
  'config reload and camera API while a live camera keeps streaming with the same ids',
  { skip: (!haveInputs || !existsSync(cli)) && 'inputs or dist/ missing (run setup.sh)', timeout: 180_000 },
  async (t) => {
    const server = await startRtspCamera(VTEST, { fps: 10, loop: true, mount: 'lobby' });
    t.teardown(() => server.stop());
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-reload-'));
    const config = join(dir, 'cameras.yaml');
    const writeConfig = (cameras: string[]) =>
      writeFileSync(
        config,
        [
          'cameras:',
          ...cameras,
          `model: { path: "${MODEL}", executionProviders: [cpu], classes: [person] }`,
          'embedder: { kind: histogram }',
          'publish: { websocket: { port: 0 }, mqtt: { enabled: false } }',
          // The API may add RTSP cameras and the recordings' folder (not any file of the machine).
          `api: { allowedSources: [rtsp, "${dirname(VTEST)}"] }`,
        ].join('\n'),
      );
    const lobby = `  - { id: lobby, source: "${server.url}" }`;
    const file = (id: string) => `  - { id: ${id}, source: "${VTEST}", realtime: true }`;
    writeConfig([lobby, file('gone')]);
    const child = spawn(process.execPath, [cli, 'run', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'info', EDGEVIS_API_TOKEN: TOKEN },
    });
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

    await settle(() => /camera API: (http:\/\/\S+)/.test(stdout), 30_000);
    const wsUrl = stdout.match(/WebSocket: (ws:\/\/\S+)/)?.[1];
    const api = stdout.match(/camera API: (http:\/\/\S+)/)?.[1];
    t.ok(wsUrl && api, 'the CLI printed the WebSocket and camera API addresses');
    const ws = await wsCollector(wsUrl!);
    t.teardown(() => ws.close());
    const started = (camera: string, msgs: TrackMessage[] = ws.messages) =>
      msgs.flatMap((m) => (m.type === 'track_started' && m.camera === camera ? [m.track.trackId] : []));
    const statuses = (camera: string) =>
      ws.messages.filter((m): m is CameraStatusMessage => m.type === 'camera_status' && m.camera === camera);
    await settle(() => started('lobby').length >= 2 && started('gone').length >= 1, 90_000);
    t.ok(started('lobby').length >= 2 && started('gone').length >= 1, 'both cameras tracked people');

    // 1. Edit the file: 'gone' removed, 'fresh' added, 'lobby' untouched.
    const beforeReload = ws.messages.length;
    const lobbyStatusesBefore = statuses('lobby').length;
    writeConfig([lobby, file('fresh')]);
    await settle(
      () =>
        statuses('fresh').some((s) => s.state === 'streaming') && statuses('gone').some((s) => s.state === 'stopped'),
      30_000,
    );
    t.ok(
      statuses('fresh').some((s) => s.state === 'streaming'),
      'the added camera streams',
    );
    t.match(
      statuses('gone').at(-1),
      { state: 'stopped', reason: 'the camera was removed' },
      'the removed camera is stopped',
    );
    const goneEnded = ws.messages.slice(beforeReload).filter((m) => m.type === 'track_ended' && m.camera === 'gone');
    t.ok(
      goneEnded.length > 0 &&
        goneEnded.every((m) => m.type === 'track_ended' && m.track.endReason === 'camera-removed'),
      `its open tracks ended with camera-removed (${goneEnded.length})`,
    );
    const activeBefore = new Set(
      ws.messages
        .slice(0, beforeReload)
        .filter((m) => m.type === 'tracks' && m.camera === 'lobby')
        .slice(-5)
        .flatMap((m) => (m.type === 'tracks' ? m.tracks.map((k) => k.id) : [])),
    );
    const maxIdBefore = Math.max(...started('lobby', ws.messages.slice(0, beforeReload)));
    await settle(
      () => ws.messages.slice(beforeReload).filter((m) => m.type === 'tracks' && m.camera === 'lobby').length >= 20,
      30_000,
    );
    const lobbyAfter = ws.messages.slice(beforeReload).filter((m) => m.type === 'tracks' && m.camera === 'lobby');
    t.ok(lobbyAfter.length >= 20, 'the untouched camera kept streaming');
    t.equal(statuses('lobby').length, lobbyStatusesBefore, 'and never changed state');
    t.notOk(
      ws.messages
        .slice(beforeReload)
        .some((m) => m.type === 'track_ended' && m.camera === 'lobby' && m.track.endReason !== 'lost-timeout'),
      'none of its tracks was ended by the reload',
    );
    const idsAfter = new Set(
      lobbyAfter.slice(0, 5).flatMap((m) => (m.type === 'tracks' ? m.tracks.map((k) => k.id) : [])),
    );
    t.ok(
      [...activeBefore].some((id) => idsAfter.has(id)),
      `people in view keep their ids across the reload (before ${[...activeBefore]}, after ${[...idsAfter]})`,
    );
    t.ok(
      started('lobby', ws.messages.slice(beforeReload)).every((id) => id > maxIdBefore),
      'new ids continue after the old ones',
    );

    // 2. SIGHUP with a broken file: rejected, nothing changes.
    writeFileSync(config, 'cameras: [ { id: 7 } ]');
    child.kill('SIGHUP');
    await settle(() => /config reload .* rejected/.test(stderr + stdout), 10_000);
    t.match(
      stderr + stdout,
      /config reload \((SIGHUP|file change)\) rejected, the cameras keep running as they are/,
      'a broken file is reported',
    );
    t.equal(child.exitCode, null, 'the process runs on');

    // 3. The camera API: authenticated, validating, and doing what it says.
    const call = (path: string, init: RequestInit = {}, token: string | null = TOKEN) =>
      fetch(`${api!.replace(/\/api\/cameras$/, '')}${path}`, {
        ...init,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
      });
    t.equal((await call('/api/cameras', {}, null)).status, 401, 'no token: 401');
    t.equal((await call('/api/cameras', {}, 'wrong')).status, 401, 'wrong token: 401');
    const listed = (await (await call('/api/cameras')).json()) as { cameras: { id: string; state: string }[] };
    t.same(listed.cameras.map((c) => c.id).sort(), ['fresh', 'lobby'], 'lists the current cameras');
    t.equal(
      (await call('/api/cameras', { method: 'POST', body: '{"id": "x"' })).status,
      400,
      'a body that is not JSON: 400',
    );
    const invalid = await call('/api/cameras', {
      method: 'POST',
      body: JSON.stringify({ id: 'bad id!', source: VTEST }),
    });
    t.equal(invalid.status, 400, 'an invalid camera: 400');
    t.match(((await invalid.json()) as { error: string }).error, /id/, 'naming the field');
    t.equal(
      (await call('/api/cameras', { method: 'POST', body: JSON.stringify({ id: 'lobby', source: VTEST }) })).status,
      409,
      'an id that runs: 409',
    );
    const added = await call('/api/cameras', {
      method: 'POST',
      body: JSON.stringify({ id: 'api-cam', source: VTEST, realtime: true }),
    });
    t.equal(added.status, 201, 'added: 201');
    await settle(() => statuses('api-cam').some((s) => s.state === 'streaming'), 20_000);
    t.ok(
      statuses('api-cam').some((s) => s.state === 'streaming'),
      'the camera added through the API streams',
    );
    t.equal((await call('/api/cameras/fresh/restart', { method: 'POST' })).status, 202, 'restart: 202');
    await settle(() => statuses('fresh').filter((s) => s.state === 'streaming').length >= 2, 20_000);
    t.match(
      statuses('fresh')
        .map((s) => s.state)
        .join(' '),
      /streaming stopped starting streaming/,
      'the restarted camera stopped and streamed again',
    );
    t.equal((await call('/api/cameras/api-cam', { method: 'DELETE' })).status, 204, 'removed: 204');
    t.equal((await call('/api/cameras/nope', { method: 'DELETE' })).status, 404, 'an unknown camera: 404');

    // 4. The HTTP edge: malformed WebSocket requests are refused before the handshake, and the process lives on.
    const base = wsUrl!.replace(/\/$/, '');
    t.equal(
      await upgradeStatus(`${base}/cameras/%E0%A4%A`),
      400,
      'bad percent-encoding: 400 (it used to crash the process)',
    );
    t.equal(await upgradeStatus(`${base}/nowhere`), 404, 'unknown path: 404');
    t.equal(await upgradeStatus(`${base}/cameras/lobby`), 101, 'a good path is accepted');
    t.equal(child.exitCode, null, 'still running');

    child.kill('SIGTERM');
    const code = (await within(exited, 20_000)) ?? 'timeout';
    t.equal(code, 0, `clean exit ${stderr.slice(-400)}`);
    const report = stdout.slice(stdout.lastIndexOf('[lobby] stopped:'));
    t.match(report, /\[lobby\] stopped: \d+ frames/, 'the final report names the cameras that ran to the end');
    t.notMatch(
      report,
      /\[gone\] /,
      'not the removed ones (600 cameras added and removed through the API would otherwise be listed for good)',
    );
  },
);
