// The CLI as a service: SIGTERM mid-run with a failing camera beside a good one. The process exits by
// itself within a bounded time, every open track is ended (reason shutdown), every camera reports stopped.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import type { CameraStatusMessage } from '../operators/wire/track-messages.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, VTEST } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';

const cli = resolve('dist/pipeline/cli.js');

t.test('SIGTERM mid-run beside a camera answering 404: clean exit 0, every open track ended', { skip: (!haveInputs || !existsSync(cli)) && 'inputs or dist/ missing (run setup.sh)', timeout: 120_000 }, async (t) => {
  const server = await startRtspCamera(VTEST, { fps: 10, loop: true, mount: 'pets' });
  t.teardown(() => server.stop());
  const dir = mkdtempSync(join(tmpdir(), 'edgevis-sigterm-'));
  const config = join(dir, 'cameras.yaml');
  writeFileSync(config, [
    'cameras:',
    `  - { id: good, source: "${server.url}" }`,
    `  - { id: missing, source: "${server.url.replace(/pets$/, 'nope')}", reconnectDelayMs: 300, reconnectMaxDelayMs: 1000 }`,
    `model: { path: "${MODEL}", executionProviders: [cpu], classes: [person] }`,
    'embedder: { kind: histogram }',
    'publish: { websocket: { port: 0 }, mqtt: { enabled: false } }',
  ].join('\n'));
  const child = spawn(process.execPath, [cli, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let stdout = '', stderr = '';
  child.stdout.on('data', (d) => { stdout += String(d); });
  child.stderr.on('data', (d) => { stderr += String(d); });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  await settle(() => /WebSocket: (ws:\/\/\S+)/.test(stdout), 30_000);
  const url = stdout.match(/WebSocket: (ws:\/\/\S+)/)?.[1];
  t.ok(url, 'the CLI printed where to subscribe');
  const ws = await wsCollector(url!);
  t.teardown(() => ws.close());
  await settle(() => ws.messages.some((m) => m.type === 'track_started' && m.camera === 'good'), 60_000);
  await settle(() => ws.messages.some((m) => m.type === 'camera_status' && m.camera === 'missing' && m.state === 'reconnecting'), 10_000);
  t.ok(ws.messages.some((m) => m.type === 'camera_status' && m.camera === 'missing' && m.state === 'reconnecting' && m.code === 'stream-not-found'), 'the 404 camera keeps trying (stream-not-found)');

  const sentAt = performance.now();
  child.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000))]);
  const seconds = (performance.now() - sentAt) / 1000;
  t.equal(code, 0, `exit code 0 after a clean stop (${seconds.toFixed(1)} s) ${stderr.slice(-500)}`);
  t.ok(seconds < 15, `exited by itself within the bound: ${seconds.toFixed(1)} s`);
  await settle(() => false, 300); // the last frames in flight

  const started = ws.messages.flatMap((m) => (m.type === 'track_started' ? [`${m.camera}/${m.track.trackId}`] : []));
  const ended = ws.messages.flatMap((m) => (m.type === 'track_ended' ? [`${m.camera}/${m.track.trackId}`] : []));
  t.same([...ended].sort(), [...started].sort(), `every started track was ended (${started.length})`);
  t.ok(ws.messages.some((m) => m.type === 'track_ended' && m.track.endReason === 'shutdown'), 'tracks open at the signal end with reason shutdown');
  const last = (camera: string) => ws.messages.filter((m): m is CameraStatusMessage => m.type === 'camera_status' && m.camera === camera).at(-1)?.state;
  t.equal(last('good'), 'stopped');
  t.equal(last('missing'), 'stopped');
  t.match(stdout, /\[good\] stopped: \d+ frames/, 'final report printed');
});

t.test('started bare, the CLI runs itself with the libuv pool, the malloc arenas and (≤ 4 cores) the GC flag set; what the environment sets wins', { skip: (!haveInputs || !existsSync(cli)) && 'inputs or dist/ missing (run setup.sh)', timeout: 120_000 }, async (t) => {
  const settings = async (extra: Record<string, string>) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
    if (!('UV_THREADPOOL_SIZE' in extra)) delete env.UV_THREADPOOL_SIZE;
    if (!('MALLOC_ARENA_MAX' in extra)) delete env.MALLOC_ARENA_MAX;
    const child = spawn(process.execPath, [cli, 'run', '--source', VTEST, '--model', MODEL, '--max-frames', '1', '--no-mqtt', '--no-ws', '--log-level', 'debug'], { stdio: ['ignore', 'pipe', 'pipe'], env });
    t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
    let out = '';
    child.stdout.on('data', (d) => { out += String(d); });
    child.stderr.on('data', (d) => { out += String(d); }); // the log (JSON lines)
    // 'close': after the exit and the end of its output.
    const code = await Promise.race([new Promise<number | null>((r) => child.once('close', r)), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000).unref())]);
    t.equal(code, 0, 'ran one frame and exited');
    const line = out.split('\n').find((l) => l.includes('"process settings"'));
    return line ? JSON.parse(line) as { uvThreadpoolSize: string | null; mallocArenaMax: string | null; nodeFlags: string[] } : null;
  };
  const bare = await settings({});
  t.equal(bare?.uvThreadpoolSize, '32', 'libuv pool of 32');
  t.equal(bare?.mallocArenaMax, '2', 'two malloc arenas');
  t.equal(bare?.nodeFlags.includes('--single-threaded-gc'), availableParallelism() <= 4, 'single-threaded GC on a small CPU');
  const chosen = await settings({ MALLOC_ARENA_MAX: '8' });
  t.equal(chosen?.mallocArenaMax, '8', 'MALLOC_ARENA_MAX from the environment is kept');
});
