// Continuous recording of a camera's stream (a simulated H.264 RTSP camera, real GStreamer):
// segments that play to the end with the expected frames, also the one cut off by kill -9; the
// quota held while recording; a folder that cannot be written (and a disk that fills up) gives a
// clear status while inference goes on.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { CameraStatusMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { CLI, startCli, within, writeConfig } from './helpers/cli-process.js';
import { haveInputs, MODEL, quietLogger, VTEST, haveGstElement } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';
import { decodedFrames } from './helpers/decoded-frames.js';

const x264 = haveGstElement('x264enc');
const skip = (!haveInputs || !x264) && 'inputs or x264enc (gstreamer1.0-plugins-ugly) missing';
const FPS = 10,
  GOP = 10; // a keyframe every second

/**
 * A tmpfs of `size` (e.g. `3m`) mounted on a new folder for the test, unmounted at its end, or
 * null when this user cannot mount one (not root).
 */
function smallDisk(t: { teardown: (fn: () => void) => void }, size: string): string | null {
  const mountPoint = mkdtempSync(join(tmpdir(), 'edgevis-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint], { stdio: 'ignore' });
  } catch {
    return null;
  }
  t.teardown(() => {
    try {
      execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
  });
  return mountPoint;
}

/**
 * The config of one recording camera on the real model (persons, histograms), writing into
 * `recordingsDir`, publishing nowhere unless `publish` says so.
 */
function recordingConfig(
  camera: Record<string, unknown>,
  recordingsDir: string,
  publish: Record<string, unknown> = { websocket: { enabled: false }, mqtt: { enabled: false } },
) {
  return parseConfig(
    {
      cameras: [camera],
      model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
      embedder: { kind: 'histogram' },
      recordingsDir,
      publish,
    },
    'test',
  );
}

const segmentsIn = (dir: string) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.mkv'))
        .sort()
    : [];

t.test(
  'kill -9 mid-segment: every segment plays to its end with its frames, the cut-off one too',
  { skip: (skip || !existsSync(CLI)) && 'inputs, x264enc or dist/ missing', timeout: 120_000 },
  async (t) => {
    const camera = await startRtspCamera(VTEST, { fps: FPS, loop: true, codec: 'h264', gop: GOP });
    t.teardown(() => camera.stop());
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-rec-'));
    const config = writeConfig([
      'cameras:',
      `  - { id: gate, source: "${camera.url}", record: { enabled: true, segmentSeconds: 2 } }`,
      `model: { path: "${MODEL}", executionProviders: [cpu], classes: [person] }`,
      'embedder: { kind: histogram }',
      `recordingsDir: "${dir}"`,
      'publish: { websocket: { port: 0 }, mqtt: { enabled: false } }',
    ]);
    const cli = startCli(['run', '--config', config], { ...process.env, LOG_LEVEL: 'warn' }, (fn) => t.teardown(fn));
    await settle(() => segmentsIn(join(dir, 'gate')).filter((f) => /T\d{6}Z/.test(f)).length >= 2, 60_000);
    await new Promise((r) => setTimeout(r, 1300)); // into the next segment
    process.kill(-cli.pid, 'SIGKILL');
    await within(cli.exited, 5000);
    const files = segmentsIn(join(dir, 'gate'));
    const finished = files.filter((f) => /T\d{6}Z/.test(f)),
      open = files.filter((f) => !/T\d{6}Z/.test(f));
    t.ok(
      finished.length >= 2 && open.length === 1,
      `finished segments ${finished.join(', ')}; cut off: ${open.join(', ')}`,
    );
    for (const f of finished) {
      const n = decodedFrames(join(dir, 'gate', f));
      t.ok(Math.abs(n - 2 * FPS) <= GOP, `${f} plays to its end: ${n} frames (2 s at ${FPS} fps ± one GOP of ${GOP})`);
    }
    const cut = decodedFrames(join(dir, 'gate', open[0]));
    t.ok(cut >= 1 && cut <= 2 * FPS + GOP, `the segment cut off by kill -9 plays to where it was cut: ${cut} frames`);
    const index = readFileSync(join(dir, 'gate', 'index.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; start: string; end: string; bytes: number });
    t.same(
      index.map((e) => e.file),
      finished,
      'the index lists the finished segments',
    );
    t.ok(
      index.every((e) => Math.abs(Date.parse(e.end) - Date.parse(e.start) - 2000) <= (1000 * GOP) / FPS + 200),
      `each spans ~2 s (${index.map((e) => Date.parse(e.end) - Date.parse(e.start)).join(', ')} ms)`,
    );
  },
);

t.test('the quota holds while recording', { skip, timeout: 120_000 }, async (t) => {
  const camera = await startRtspCamera(VTEST, { fps: FPS, loop: true, codec: 'h264', gop: GOP });
  t.teardown(() => camera.stop());
  const dir = mkdtempSync(join(tmpdir(), 'edgevis-quota-'));
  const maxBytes = 900_000;
  const runtime = await startEdgevis(
    recordingConfig({ id: 'quota', source: camera.url, record: { enabled: true, segmentSeconds: 2, maxBytes } }, dir),
    { logger: quietLogger },
  );
  t.teardown(() => runtime.stop());
  const folder = join(dir, 'quota');
  let largestSegment = 0,
    worst = 0;
  const started = performance.now();
  while (performance.now() - started < 16_000) {
    const sizes = segmentsIn(folder).map((f) => {
      try {
        return statSync(join(folder, f)).size;
      } catch {
        return 0;
      }
    });
    largestSegment = Math.max(largestSegment, ...sizes, 0);
    worst = Math.max(
      worst,
      sizes.reduce((a, b) => a + b, 0),
    );
    await new Promise((r) => setTimeout(r, 200));
  }
  const written = runtime.cameras[0].recording;
  t.equal(written?.state, 'recording');
  t.ok(segmentsIn(folder).length >= 2, `segments were written (${segmentsIn(folder).length} kept)`);
  t.ok(
    worst <= maxBytes + largestSegment,
    `the folder never held more than the quota plus one segment: at most ${(worst / 1e6).toFixed(2)} MB for ${(maxBytes / 1e6).toFixed(2)} MB + ${(largestSegment / 1e6).toFixed(2)} MB`,
  );
});

t.test(
  'a recordings folder that cannot be written: a clear status, /readyz and the metric say so, inference goes on',
  { skip, timeout: 120_000 },
  async (t) => {
    const camera = await startRtspCamera(VTEST, { fps: FPS, loop: true, codec: 'h264', gop: GOP });
    t.teardown(() => camera.stop());
    let ws!: Awaited<ReturnType<typeof wsCollector>>;
    const runtime = await startEdgevis(
      recordingConfig(
        { id: 'gate', source: camera.url, record: { enabled: true, segmentSeconds: 2 } },
        '/proc/edgevis-recordings', // no folder can be made there, not even by root
        { websocket: { port: 0 }, mqtt: { enabled: false } },
      ),
      {
        logger: quietLogger,
        beforeCameras: async ({ websocketUrl }) => {
          ws = await wsCollector(`${websocketUrl}cameras/gate`);
        },
      },
    );
    t.teardown(async () => {
      ws.close();
      await runtime.stop();
    });
    await settle(() => runtime.cameras[0].framesProcessed >= 30, 60_000);
    t.ok(runtime.cameras[0].framesProcessed >= 30, 'inference goes on');
    t.equal(runtime.cameras[0].state, 'streaming');
    const status = ws.messages.filter((m): m is CameraStatusMessage => m.type === 'camera_status').at(-1);
    t.match(
      status?.recording,
      { state: 'error', reason: /recordings folder \/proc\/edgevis-recordings\/gate cannot be written/ },
      'camera_status says why it does not record',
    );
    const http = runtime.websocketUrl!.replace(/^ws/, 'http');
    const ready = await fetch(`${http}readyz`);
    t.equal(ready.status, 503, '/readyz is not ready');
    t.match(await ready.text(), /camera 'gate' is not recording: the recordings folder/);
    t.match(
      await (await fetch(`${http}metrics`)).text(),
      /edgevis_recording_up\{camera="gate"\} 0/,
      'edgevis_recording_up is 0',
    );
  },
);

t.test(
  'the disk fills up while recording: the recording stops with the reason, inference goes on',
  { skip, timeout: 120_000 },
  async (t) => {
    const mountPoint = smallDisk(t, '3m');
    if (!mountPoint) {
      t.comment('this user cannot mount a small tmpfs: not tested here');
      return;
    }
    const camera = await startRtspCamera(VTEST, { fps: FPS, loop: true, codec: 'h264', gop: GOP });
    t.teardown(() => camera.stop());
    const runtime = await startEdgevis(
      recordingConfig(
        { id: 'gate', source: camera.url, record: { enabled: true, segmentSeconds: 2, maxBytes: 50_000_000 } }, // a quota the disk cannot hold
        mountPoint,
      ),
      { logger: quietLogger },
    );
    t.teardown(() => runtime.stop());
    const status = runtime.cameras[0];
    await settle(() => status.recording?.state === 'error', 90_000);
    t.equal(status.recording?.state, 'error', `the recording stopped: ${status.recording?.reason}`);
    const framesAtFailure = status.framesProcessed;
    await settle(() => status.framesProcessed >= framesAtFailure + 30, 30_000);
    t.ok(
      status.framesProcessed >= framesAtFailure + 30,
      `inference goes on (${status.framesProcessed - framesAtFailure} frames since)`,
    );
    t.equal(status.state, 'streaming', 'the camera streams');
  },
);

t.test(
  'recording heals: a deleted folder, an immutable folder and a full disk, each back by itself once writing works',
  { skip, timeout: 240_000 },
  async (t) => {
    const disk = smallDisk(t, '8m');
    const mounted = disk !== null;
    if (!mounted) t.comment('this user cannot mount a tmpfs: only the deleted folder is tested');
    const mountPoint = disk ?? mkdtempSync(join(tmpdir(), 'edgevis-heal-'));
    const camera = await startRtspCamera(VTEST, { fps: FPS, loop: true, codec: 'h264', gop: GOP });
    t.teardown(() => camera.stop());
    const runtime = await startEdgevis(
      recordingConfig(
        { id: 'gate', source: camera.url, record: { enabled: true, segmentSeconds: 2, maxBytes: 2_000_000 } },
        mountPoint,
      ),
      { logger: quietLogger },
    );
    t.teardown(() => runtime.stop());
    const status = runtime.cameras[0];
    const folder = join(mountPoint, 'gate');
    const finished = () => segmentsIn(folder).filter((f) => /T\d{6}Z/.test(f));
    /** Waits for a failure, then for the recording to be back with a segment written after it; returns the seconds from when writing worked again. */
    const healsAfter = async (what: string, breakIt: () => void, mendIt: () => void, brokenForMs: number) => {
      await settle(() => status.recording?.state === 'recording' && finished().length >= 1, 60_000);
      breakIt();
      await settle(() => status.recording?.state === 'error', 30_000);
      t.equal(status.recording?.state, 'error', `${what}: the recording says so (${status.recording?.reason})`);
      const framesAtFailure = status.framesProcessed;
      await new Promise((r) => setTimeout(r, brokenForMs));
      t.equal(status.recording?.state, 'error', `${what}: still not recording while it cannot write`);
      mendIt();
      const mendedAt = performance.now();
      const before = new Set(finished());
      await settle(() => status.recording?.state === 'recording' && finished().some((f) => !before.has(f)), 90_000);
      const seconds = (performance.now() - mendedAt) / 1000;
      t.ok(
        status.recording?.state === 'recording' && finished().some((f) => !before.has(f)),
        `${what}: recording again, a new segment written ${seconds.toFixed(1)} s after it could write again`,
      );
      t.ok(
        status.framesProcessed > framesAtFailure + 10,
        `${what}: inference went on (${status.framesProcessed - framesAtFailure} frames)`,
      );
      return seconds;
    };
    // Deleted: back at the first retry (5 s), plus a reconnect and one segment of 2 s.
    const deleted = await healsAfter(
      'folder deleted',
      () => rmSync(folder, { recursive: true, force: true }),
      () => undefined,
      0,
    );
    t.ok(deleted <= 20, `the deleted folder is back within one retry: ${deleted.toFixed(1)} s`);
    // Unwritable (immutable: root ignores permission bits) and full: back within the longest retry
    // delay (60 s) after writing works, plus a segment.
    let immutable = false;
    try {
      execFileSync('chattr', ['+i', folder], { stdio: 'ignore' });
      execFileSync('chattr', ['-i', folder], { stdio: 'ignore' });
      immutable = true;
    } catch {
      t.comment('chattr +i is not possible here: the unwritable folder is not tested');
    }
    if (immutable) {
      t.teardown(() => {
        try {
          execFileSync('chattr', ['-i', folder], { stdio: 'ignore' });
        } catch {
          /* gone */
        }
      });
      const lifted = await healsAfter(
        'immutable folder',
        () => execFileSync('chattr', ['+i', folder]),
        () => execFileSync('chattr', ['-i', folder]),
        8000,
      );
      t.ok(lifted <= 70, `after the folder was writable again: ${lifted.toFixed(1)} s`);
    }
    if (!mounted) return;
    const filler = join(mountPoint, 'filler.bin');
    const full = await healsAfter(
      'disk full',
      () => {
        try {
          execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
        } catch {
          /* ENOSPC: full */
        }
      },
      () => rmSync(filler),
      5000,
    );
    t.ok(full <= 70, `after space was freed: ${full.toFixed(1)} s`);
    t.equal(runtime.cameras[0].state, 'streaming', 'the camera streams');
  },
);

t.test(
  'segments are even (whole GOPs up to segmentSeconds) and numbered on across a camera restart',
  { skip, timeout: 180_000 },
  async (t) => {
    const camera = await startRtspCamera(VTEST, { fps: FPS, loop: true, codec: 'h264', gop: 2 * FPS }); // a keyframe every 2 s
    t.teardown(() => camera.stop());
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-even-'));
    const config = (zones: object[]) =>
      recordingConfig({ id: 'gate', source: camera.url, record: { enabled: true, segmentSeconds: 4 }, zones }, dir);
    const runtime = await startEdgevis(config([]), { logger: quietLogger, keepAlive: true });
    t.teardown(() => runtime.stop());
    const folder = join(dir, 'gate');
    const finished = () => segmentsIn(folder).filter((f) => /T\d{6}Z/.test(f));
    await settle(() => finished().length >= 3, 60_000);
    // A config change that restarts the camera (its zones), keeping its recording settings.
    runtime.applyCameras(
      config([
        {
          name: 'door',
          polygon: [
            [0, 0],
            [100, 0],
            [100, 100],
          ],
        },
      ]).cameras,
    );
    const before = finished().length;
    await settle(() => finished().length >= before + 3, 60_000);
    const numbers = finished()
      .map((f) => Number(/-(\d{6})\.mkv$/.exec(f)![1]))
      .sort((a, b) => a - b);
    t.ok(
      numbers.every((n, i) => i === 0 || n - numbers[i - 1] <= 1),
      `numbers go on across the restart: ${numbers.join(', ')}`,
    );
    const index = readFileSync(join(folder, 'index.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; start: string; end: string });
    // Whole segments of one connection (the first after each connection starts and the one cut by the restart are shorter).
    const lengths = index.map((e) => (Date.parse(e.end) - Date.parse(e.start)) / 1000);
    const whole = lengths.filter((s, i) => i > 0 && s > 3);
    t.ok(
      whole.length >= 2 && whole.every((s) => Math.abs(s - 4) <= 0.5),
      `segments of 4 s (two 2-s GOPs), not 4 s and 2 s in turn: ${lengths.map((s) => s.toFixed(1)).join(', ')} s`,
    );
    t.ok(
      lengths.filter((s) => s < 3).length <= 3,
      `short segments only where a connection started or ended: ${lengths.map((s) => s.toFixed(1)).join(', ')}`,
    );
  },
);
