/**
 * What a web viewer costs the pipeline: the default recording read in full (every frame) with no
 * viewer, then with one viewer taking pictures at 5 and at 15 per second (reading them as a browser
 * would), in one run; prints frames/s and pictures sent. The cheapest profile (yolov8n-seg-320) and
 * the histogram embedder, so the picture encoding is as large a share of the work as it gets.
 * Started as the CLI starts (pipeline/process/start-settings.ts).
 *
 * usage: npm run build && node dist/bench/viewer-cost.js [frames=300]
 */
import { applyStartSettings } from '../pipeline/process/start-settings.js';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { DEFAULT_SOURCE } from '../config/command-line.js';
import { parseConfig } from '../config/load.js';
import { processingFps } from '../pipeline/camera/camera-status.js';
import { startEdgevis } from '../pipeline/runtime.js';

applyStartSettings();
const FRAMES = Number(process.argv[2] ?? 300);
const config = parseConfig(
  {
    cameras: [{ id: 'pets', source: DEFAULT_SOURCE, maxFrames: FRAMES }],
    embedder: { kind: 'histogram' },
    model: { profile: 'yolov8n-seg-320', classes: ['person'] },
    publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
  },
  'viewer-cost bench',
);

async function run(previewFps: number | null): Promise<{ fps: number; pictures: number }> {
  let pictures = 0;
  let viewer: WebSocket | null = null;
  const runtime = await startEdgevis(config, {
    logger: pino({ level: 'warn' }),
    beforeCameras: async ({ websocketUrl }) => {
      if (previewFps === null) return;
      viewer = new WebSocket(`${websocketUrl}cameras/pets?preview=${previewFps}`);
      viewer.on('message', (_d, binary) => {
        if (binary) pictures++;
      });
      await new Promise((r) => viewer!.once('open', r));
    },
  });
  const [status] = await runtime.done;
  (viewer as WebSocket | null)?.close();
  await runtime.stop();
  return { fps: processingFps(status), pictures };
}

console.log(`viewer cost on ${FRAMES} frames of ${DEFAULT_SOURCE} (every frame, histograms):`);
const none = await run(null);
console.log(`  no viewer:                 ${none.fps.toFixed(1)} fps`);
for (const rate of [5, 15]) {
  const r = await run(rate);
  console.log(
    `  one viewer, ${String(rate).padStart(2)} pictures/s: ${r.fps.toFixed(1)} fps (${(r.fps / none.fps).toFixed(2)} of no viewer), ${r.pictures} pictures`,
  );
}
process.exit(0);
