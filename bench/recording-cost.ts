/**
 * What recording, snapshots and clips cost (issue 20), measured in one run against everything off:
 * one simulated H.264 RTSP camera (the default recording looping at 10 fps, x264 at the simulated
 * camera's bitrate, a keyframe every 2 s) is run by the real runtime (yolov8n-seg at 320 pinned,
 * histogram embedder, no subscriber) with the camera restarted in each variant in turn, the variants
 * interleaved `rounds` times so slow drifts of the machine fall on all of them:
 *   off        — inference only;
 *   record     — continuous recording (tee before the decoder → splitmuxsink, Matroska, no re-encode);
 *   snapshots  — the best snapshot of every ended track (JPEG with its overlay, sharp/libvips);
 *   all        — recording, snapshots and event clips (every track start; MP4 remux of the segments).
 * Per window (`seconds` after a 6 s settle): this process's CPU time (user + system, all threads:
 * GStreamer's, libuv's, the inference workers') per second and per processed frame, frames
 * processed, snapshots and clips written, and the bytes the recording added on disk. Prints each
 * variant's mean, its difference from `off` with the spread between rounds, per snapshot the CPU
 * beyond `off`, and the disk per camera-hour. The simulated camera's own process is not counted.
 *
 * usage: npm run build && node dist/bench/recording-cost.js [seconds=30] [rounds=2]
 */
import { applyStartSettings } from '../pipeline/process/start-settings.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEFAULT_SOURCE } from '../config/command-line.js';
import { parseConfig } from '../config/load.js';
import type { CameraConfig } from '../config/schema.js';
import type { TrackPublisher } from '../operators/publish-tracks.js';
import type { TrackMessage } from '../operators/wire/track-messages.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { bytesUnder } from './folder-files.js';

applyStartSettings();
const seconds = Number(process.argv[2] ?? 30),
  rounds = Number(process.argv[3] ?? 2);
const SETTLE_S = 6;
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

const VARIANTS = {
  off: {},
  record: { record: { enabled: true, segmentSeconds: 10 } },
  snapshots: { snapshots: { enabled: true } },
  all: {
    record: { enabled: true, segmentSeconds: 10 },
    snapshots: { enabled: true },
    clips: { enabled: true, preRollSeconds: 3, postRollSeconds: 3 },
  },
} as const;
type Variant = keyof typeof VARIANTS;

const server = await startRtspCamera(DEFAULT_SOURCE, { fps: 10, loop: true, codec: 'h264', mount: 'cam' });
const recordingsDir = mkdtempSync(join(tmpdir(), 'edgevis-recording-cost-'));
const counts = { frames: 0, snapshots: 0, clips: 0 };
const counter: TrackPublisher = {
  name: 'bench-counter',
  counters: {},
  close: async () => undefined,
  publish(m: TrackMessage) {
    if (m.type === 'track_snapshot') counts.snapshots++;
    else if (m.type === 'clip_ready') counts.clips++;
  },
};
const camera = (variant: Variant) =>
  parseConfig({ cameras: [{ id: 'cam', source: server.url, ...VARIANTS[variant] }] }, 'bench')
    .cameras[0] as CameraConfig;
const runtime = await startEdgevis(
  parseConfig(
    {
      cameras: [{ id: 'cam', source: server.url }],
      model: { profile: 'yolov8n-seg-320', executionProviders: ['cpu'], classes: ['person'] },
      embedder: { kind: 'histogram' },
      recordingsDir,
      publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
    },
    'recording-cost bench',
  ),
  {
    logger: pino({ level: process.env.LOG_LEVEL ?? 'error' }),
    keepAlive: true,
    extraPublishers: [counter],
    onTracks: (tracks) => {
      if (tracks.kind === 'frame') counts.frames++;
    },
  },
);

interface Window {
  cpuMsPerS: number;
  cpuMsPerFrame: number;
  fps: number;
  snapshots: number;
  clips: number;
  diskBytesPerS: number;
}
const windows = new Map<Variant, Window[]>();
for (let round = 0; round < rounds; round++) {
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    runtime.restartCamera('cam', camera(variant));
    await sleep(SETTLE_S);
    const c0 = process.cpuUsage(),
      t0 = performance.now(),
      n0 = { ...counts },
      d0 = bytesUnder(join(recordingsDir, 'cam'));
    await sleep(seconds);
    const cpu = process.cpuUsage(c0),
      wallS = (performance.now() - t0) / 1000,
      frames = counts.frames - n0.frames;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const w: Window = {
      cpuMsPerS: cpuMs / wallS,
      cpuMsPerFrame: frames ? cpuMs / frames : NaN,
      fps: frames / wallS,
      snapshots: counts.snapshots - n0.snapshots,
      clips: counts.clips - n0.clips,
      diskBytesPerS: (bytesUnder(join(recordingsDir, 'cam')) - d0) / wallS,
    };
    windows.set(variant, [...(windows.get(variant) ?? []), w]);
    console.log(
      `round ${round + 1} ${variant.padEnd(9)} CPU ${w.cpuMsPerS.toFixed(1)} ms/s (${(w.cpuMsPerS / 10).toFixed(1)} % of a core), ${w.cpuMsPerFrame.toFixed(2)} ms/frame, ${w.fps.toFixed(1)} fps, ` +
        `${w.snapshots} snapshots, ${w.clips} clips, disk ${(w.diskBytesPerS / 1e3).toFixed(1)} kB/s`,
    );
  }
}
await runtime.stop();
await server.stop();

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const off = windows.get('off')!;
console.log(
  `\n${seconds} s windows, ${rounds} rounds, yolov8n-seg-320 + histogram on ${DEFAULT_SOURCE.split('/').at(-1)} served as H.264 at 10 fps:`,
);
for (const [variant, ws] of windows) {
  // Each round's difference against the same round's `off`: the spread says what the noise is.
  const deltas = ws.map((w, k) => w.cpuMsPerS - off[k].cpuMsPerS);
  const snapshots = ws.reduce((a, w) => a + w.snapshots, 0);
  const perSnapshot =
    snapshots && variant !== 'off'
      ? `, ${((mean(deltas) * seconds * rounds) / snapshots).toFixed(1)} ms of CPU beyond off per snapshot (${snapshots} snapshots)`
      : '';
  const disk = mean(ws.map((w) => w.diskBytesPerS));
  console.log(
    `${variant.padEnd(9)} ${mean(ws.map((w) => w.cpuMsPerS)).toFixed(1)} ms CPU/s, ${mean(ws.map((w) => w.cpuMsPerFrame)).toFixed(2)} ms/frame, ${mean(ws.map((w) => w.fps)).toFixed(1)} fps` +
      (variant === 'off'
        ? ''
        : `; vs off ${mean(deltas) >= 0 ? '+' : ''}${mean(deltas).toFixed(1)} ms/s (rounds: ${deltas.map((d) => d.toFixed(1)).join(', ')})`) +
      perSnapshot +
      (disk > 0 ? `; disk ${((disk * 3600) / 1e6).toFixed(0)} MB per camera-hour` : ''),
  );
}
process.exit(0);
