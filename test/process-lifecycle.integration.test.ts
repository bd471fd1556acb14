// The CLI as a service, as systemd, Docker and a terminal stop it: SIGTERM or SIGINT to the process or
// to its whole group (once, or twice at once), SIGKILL. A clean stop exits 0 within 10 s without a
// native abort, with every open track ended (reason shutdown) for WebSocket and MQTT subscribers, each
// camera 'stopped' and the node 'offline'; after SIGKILL nothing of the process is left.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';
import type { CameraStatusMessage } from '../operators/wire/track-messages.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, VTEST } from './helpers/fixtures.js';
import { groupAlive, mqttRecorder, startCli, within, writeConfig } from './helpers/cli-process.js';
import { connect } from 'node:net';
import { settle, wsCollector } from './helpers/subscribers.js';

const cli = resolve('dist/pipeline/cli.js');

t.test(
  'SIGTERM mid-run beside a camera answering 404: clean exit 0, every open track ended',
  { skip: (!haveInputs || !existsSync(cli)) && 'inputs or dist/ missing (run setup.sh)', timeout: 120_000 },
  async (t) => {
    const server = await startRtspCamera(VTEST, { fps: 10, loop: true, mount: 'pets' });
    t.teardown(() => server.stop());
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-sigterm-'));
    const config = join(dir, 'cameras.yaml');
    writeFileSync(
      config,
      [
        'cameras:',
        `  - { id: good, source: "${server.url}" }`,
        `  - { id: missing, source: "${server.url.replace(/pets$/, 'nope')}", reconnectDelayMs: 300, reconnectMaxDelayMs: 1000 }`,
        `model: { path: "${MODEL}", executionProviders: [cpu], classes: [person] }`,
        'embedder: { kind: histogram }',
        'publish: { websocket: { port: 0 }, mqtt: { enabled: false } }',
      ].join('\n'),
    );
    const child = spawn(process.execPath, [cli, 'run', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'warn' },
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

    await settle(() => /WebSocket: (ws:\/\/\S+)/.test(stdout), 30_000);
    const url = stdout.match(/WebSocket: (ws:\/\/\S+)/)?.[1];
    t.ok(url, 'the CLI printed where to subscribe');
    const ws = await wsCollector(url!);
    t.teardown(() => ws.close());
    await settle(() => ws.messages.some((m) => m.type === 'track_started' && m.camera === 'good'), 60_000);
    await settle(
      () => ws.messages.some((m) => m.type === 'camera_status' && m.camera === 'missing' && m.state === 'reconnecting'),
      10_000,
    );
    t.ok(
      ws.messages.some(
        (m) =>
          m.type === 'camera_status' &&
          m.camera === 'missing' &&
          m.state === 'reconnecting' &&
          m.code === 'stream-not-found',
      ),
      'the 404 camera keeps trying (stream-not-found)',
    );

    const sentAt = performance.now();
    child.kill('SIGTERM');
    const code = (await within(exited, 20_000)) ?? 'timeout';
    const seconds = (performance.now() - sentAt) / 1000;
    t.equal(code, 0, `exit code 0 after a clean stop (${seconds.toFixed(1)} s) ${stderr.slice(-500)}`);
    t.ok(seconds < 15, `exited by itself within the bound: ${seconds.toFixed(1)} s`);
    await settle(() => false, 300); // the last frames in flight

    const started = ws.messages.flatMap((m) => (m.type === 'track_started' ? [`${m.camera}/${m.track.trackId}`] : []));
    const ended = ws.messages.flatMap((m) => (m.type === 'track_ended' ? [`${m.camera}/${m.track.trackId}`] : []));
    t.same([...ended].sort(), [...started].sort(), `every started track was ended (${started.length})`);
    t.ok(
      ws.messages.some((m) => m.type === 'track_ended' && m.track.endReason === 'shutdown'),
      'tracks open at the signal end with reason shutdown',
    );
    const last = (camera: string) =>
      ws.messages.filter((m): m is CameraStatusMessage => m.type === 'camera_status' && m.camera === camera).at(-1)
        ?.state;
    t.equal(last('good'), 'stopped');
    t.equal(last('missing'), 'stopped');
    t.match(stdout, /\[good\] stopped: \d+ frames/, 'final report printed');
  },
);

const skip = (!haveInputs || !existsSync(cli)) && 'inputs or dist/ missing (run setup.sh)';
/** The recording paced like a camera (80 s), persons only, histograms (fast), both servers on free ports. */
const pacedConfig = () =>
  writeConfig([
    'cameras:',
    `  - { id: pets, source: "${VTEST}", realtime: true }`,
    `model: { path: "${MODEL}", executionProviders: [cpu], classes: [person] }`,
    'embedder: { kind: histogram }',
    'publish: { websocket: { port: 0 }, mqtt: { brokerPort: 0 } }',
  ]);

/** Starts the CLI in its own group with a WebSocket and an MQTT subscriber, waits for tracks, stops it with `stop`, and checks the clean stop. */
async function stopsCleanly(
  t: Test,
  pattern: string,
  stop: (pid: number, group: (s: NodeJS.Signals) => void) => Promise<void> | void,
) {
  const cliProcess = startCli(['run', '--config', pacedConfig()], { ...process.env, LOG_LEVEL: 'warn' }, (fn) =>
    t.teardown(fn),
  );
  const ws = (await cliProcess.waitFor(/WebSocket: (ws:\/\/\S+)/))?.[1];
  const mq = (await cliProcess.waitFor(/MQTT: +(mqtt:\/\/\S+)/))?.[1];
  t.ok(ws && mq, `${pattern}: the CLI printed where to subscribe ${cliProcess.err().slice(-300)}`);
  if (!ws || !mq) return;
  const wsSub = await wsCollector(ws);
  const mqttSub = await mqttRecorder(mq);
  t.teardown(() => {
    wsSub.close();
    void mqttSub.close();
  });
  await settle(
    () =>
      wsSub.messages.some((m) => m.type === 'track_started') && mqttSub.json().some((m) => m.type === 'track_started'),
    60_000,
  );
  const sentAt = performance.now();
  await stop(cliProcess.pid, (s) => cliProcess.signalGroup(s));
  const exit = await within(cliProcess.exited, 20_000);
  const seconds = exit ? (exit.at - sentAt) / 1000 : Infinity;
  t.equal(
    exit?.code,
    0,
    `${pattern}: exit code 0 (${exit?.signal ?? ''}) after ${seconds.toFixed(1)} s ${cliProcess.err().slice(-400)}`,
  );
  t.ok(seconds < 10, `${pattern}: stopped within 10 s (${seconds.toFixed(1)} s)`);
  t.notMatch(cliProcess.err(), /terminate called|Napi::Error|Aborted|core dumped/, `${pattern}: no native abort`);
  await settle(() => mqttSub.messages.some((m) => m.topic.endsWith('/nodes/') || m.payload === 'offline'), 3000);
  for (const [who, messages] of [
    ['WebSocket', wsSub.messages],
    ['MQTT', mqttSub.json()],
  ] as const) {
    const started = messages.flatMap((m) => (m.type === 'track_started' ? [m.track.trackId] : []));
    const ended = messages.flatMap((m) => (m.type === 'track_ended' ? [m.track.trackId] : []));
    t.ok(started.length > 0, `${pattern}, ${who}: tracks were open (${started.length})`);
    t.same(
      [...ended].sort((a, b) => a - b),
      [...started].sort((a, b) => a - b),
      `${pattern}, ${who}: every started track was ended`,
    );
    t.ok(
      messages.some((m) => m.type === 'track_ended' && m.track.endReason === 'shutdown'),
      `${pattern}, ${who}: open tracks ended with reason shutdown`,
    );
    t.equal(
      messages.filter((m): m is CameraStatusMessage => m.type === 'camera_status').at(-1)?.state,
      'stopped',
      `${pattern}, ${who}: the camera reported stopped`,
    );
  }
  t.ok(
    mqttSub.messages.some((m) => /\/nodes\/[^/]+\/status$/.test(m.topic) && m.payload === 'offline'),
    `${pattern}: MQTT subscribers saw the node go offline`,
  );
}

t.test('every stop pattern of a service manager is a clean stop', { skip, timeout: 400_000 }, async (t) => {
  await stopsCleanly(t, 'SIGTERM to the group (systemd KillMode=control-group, kill -- -PGID)', (_pid, group) =>
    group('SIGTERM'),
  );
  await stopsCleanly(t, 'SIGINT to the group (Ctrl-C in a terminal)', (_pid, group) => group('SIGINT'));
  await stopsCleanly(t, 'SIGTERM twice to the group, 20 ms apart', async (_pid, group) => {
    group('SIGTERM');
    await new Promise((r) => setTimeout(r, 20));
    group('SIGTERM');
  });
  await stopsCleanly(t, 'SIGINT to the started process alone (a supervisor)', (pid) => {
    process.kill(pid, 'SIGINT');
  });
});

t.test(
  'SIGKILL to the started process leaves nothing behind: no process of the group, the ports free within 5 s',
  { skip, timeout: 120_000 },
  async (t) => {
    const cliProcess = startCli(['run', '--config', pacedConfig()], { ...process.env, LOG_LEVEL: 'warn' }, (fn) =>
      t.teardown(fn),
    );
    const ws = (await cliProcess.waitFor(/WebSocket: (ws:\/\/\S+)/))?.[1];
    const mq = (await cliProcess.waitFor(/MQTT: +(mqtt:\/\/\S+)/))?.[1];
    t.ok(ws && mq, 'started');
    await cliProcess.waitFor(/\[pets\] [\d.]+ fps \| frame [1-9]/, 30_000);
    const ports = [new URL(ws!.replace(/^ws/, 'http')).port, new URL(mq!).port].map(Number);
    process.kill(cliProcess.pid, 'SIGKILL');
    const refused = (port: number) =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(true));
      });
    const deadline = performance.now() + 5000;
    let free = false,
      gone = false;
    while (performance.now() < deadline && !(free && gone)) {
      gone = !groupAlive(cliProcess.pid);
      free = (await Promise.all(ports.map(refused))).every(Boolean);
      if (!(free && gone)) await new Promise((r) => setTimeout(r, 100));
    }
    t.ok(gone, 'no process of its group is left');
    t.ok(free, `nothing listens on its ports ${ports.join(', ')} any more`);
  },
);

t.test(
  'started bare, the CLI gets its start settings in the same process: same PID, 2 malloc arenas, (≤ 4 cores) single-threaded GC; what the environment sets wins',
  { skip, timeout: 120_000 },
  async (t) => {
    const settings = async (extra: Record<string, string>) => {
      const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
      delete env.UV_THREADPOOL_SIZE;
      if (!('MALLOC_ARENA_MAX' in extra)) delete env.MALLOC_ARENA_MAX;
      const cliProcess = startCli(
        [
          'run',
          '--source',
          VTEST,
          '--model',
          MODEL,
          '--max-frames',
          '20',
          '--no-mqtt',
          '--no-ws',
          '--log-level',
          'debug',
        ],
        env,
        (fn) => t.teardown(fn),
      );
      const exit = await within(cliProcess.exited, 60_000);
      t.equal(exit?.code, 0, 'ran 20 frames and exited');
      const line = (msg: string) =>
        cliProcess
          .err()
          .split('\n')
          .find((l) => l.includes(`"${msg}"`));
      const start = line('process settings'),
        stop = line('process at stop');
      return {
        pid: cliProcess.pid,
        start: start
          ? (JSON.parse(start) as { pid: number; mallocArenaMax: string | null; nodeFlags: string[] })
          : null,
        arenas: stop ? (JSON.parse(stop) as { mallocArenas: number | null }).mallocArenas : null,
      };
    };
    const bare = await settings({});
    t.equal(bare.start?.pid, bare.pid, 'the program runs in the process that was started (no second process)');
    t.equal(bare.start?.mallocArenaMax, '2', 'MALLOC_ARENA_MAX=2');
    t.ok(bare.arenas !== null && bare.arenas <= 2, `glibc made ${bare.arenas} malloc arenas (≤ 2) across ~50 threads`);
    t.equal(
      bare.start?.nodeFlags.includes('--single-threaded-gc'),
      availableParallelism() <= 4,
      'single-threaded GC on a small CPU',
    );
    const chosen = await settings({ MALLOC_ARENA_MAX: '8' });
    t.equal(chosen.start?.mallocArenaMax, '8', 'MALLOC_ARENA_MAX from the environment is kept');
    t.ok(chosen.arenas !== null && chosen.arenas > 2, `and glibc uses it (${chosen.arenas} arenas)`);
  },
);
