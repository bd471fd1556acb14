/**
 * The recording quota over a long run (issue 20: "a quota of 50 MB is never exceeded by more than one
 * segment while recording for 10 minutes"): one simulated H.264 RTSP camera (the default recording
 * looping at 10 fps) recorded by the real runtime (yolov8n-seg at 320, histograms, snapshots on so
 * they share the quota) in 10 s segments under `record.maxBytes`. The camera's folder is measured
 * every second (every file edgevis wrote: segments, the open one included, snapshots, the index);
 * prints the largest size seen against the quota plus the largest segment, the segments written and
 * deleted, and the folder at the end.
 *
 * usage: npm run build && node dist/bench/recording-quota.js [minutes=10] [quotaMB=50]
 */
import { applyStartSettings } from '../pipeline/process/start-settings.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { DEFAULT_SOURCE } from '../config/command-line.js';
import { parseConfig } from '../config/load.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { filesUnder } from './folder-files.js';

applyStartSettings();
const minutes = Number(process.argv[2] ?? 10),
  quotaMb = Number(process.argv[3] ?? 50);
const quota = Math.round(quotaMb * 1e6);

const server = await startRtspCamera(DEFAULT_SOURCE, { fps: 10, loop: true, codec: 'h264', mount: 'cam' });
const recordingsDir = mkdtempSync(join(tmpdir(), 'edgevis-recording-quota-'));
const runtime = await startEdgevis(
  parseConfig(
    {
      cameras: [
        {
          id: 'cam',
          source: server.url,
          record: { enabled: true, segmentSeconds: 10, maxBytes: quota },
          snapshots: { enabled: true },
        },
      ],
      model: { profile: 'yolov8n-seg-320', executionProviders: ['cpu'], classes: ['person'] },
      embedder: { kind: 'histogram' },
      recordingsDir,
      publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
    },
    'recording-quota bench',
  ),
  { logger: pino({ level: process.env.LOG_LEVEL ?? 'error' }), keepAlive: true },
);

const folder = join(recordingsDir, 'cam');
let maxTotal = 0,
  maxSegment = 0,
  samples = 0,
  over = 0;
const started = performance.now();
while (performance.now() - started < minutes * 60_000) {
  await new Promise((r) => setTimeout(r, 1000));
  const files = filesUnder(folder);
  const total = files.reduce((n, f) => n + f.bytes, 0);
  maxSegment = Math.max(maxSegment, ...files.filter((f) => f.name.endsWith('.mkv')).map((f) => f.bytes));
  maxTotal = Math.max(maxTotal, total);
  samples++;
  if (total > quota + maxSegment) over++;
  if (samples % 60 === 0)
    console.log(
      `${samples / 60} min: folder ${(total / 1e6).toFixed(1)} MB (largest so far ${(maxTotal / 1e6).toFixed(1)} MB), ${files.filter((f) => f.name.endsWith('.mkv')).length} segments`,
    );
}
const counters = runtime.cameras[0]?.recording;
const end = filesUnder(folder);
await runtime.stop();
await server.stop();
console.log(
  `\n${minutes} min at quota ${quotaMb} MB: largest folder ${(maxTotal / 1e6).toFixed(2)} MB; quota + largest segment ${((quota + maxSegment) / 1e6).toFixed(2)} MB ` +
    `(largest segment ${(maxSegment / 1e6).toFixed(2)} MB); seconds over that: ${over} of ${samples}; at the end ${end.filter((f) => f.name.endsWith('.mkv')).length} segments, ` +
    `${end.filter((f) => f.name.endsWith('.jpg')).length} snapshots, ${(end.reduce((n, f) => n + f.bytes, 0) / 1e6).toFixed(1)} MB; recording ${JSON.stringify(counters)}`,
);
process.exit(0);
