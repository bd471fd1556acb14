import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { ClipReadyMessage } from '../operators/wire/message-schema.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, quietLogger, VTEST, haveGstElement } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';
import { decodedFrames } from './helpers/decoded-frames.js';
import { firstValueFrom, toArray } from 'rxjs';
import { bandPsnrs, bestMatch, collect, fileThumbnails } from './helpers/pictures.js';
import { filesUnder } from '../bench/folder-files.js';

const x264 = haveGstElement('x264enc');
const FPS = 10,
  GOP = 10,
  MAX_S = 10,
  SEGMENT_S = 2,
  QUOTA = 8_000_000,
  RUN_MS = 45_000;

t.test(
  'a busy scene: clips that end, continue each other, decode, and a quota that holds',
  { skip: (!haveInputs || !x264) && 'inputs or x264enc missing', timeout: 240_000 },
  async (t) => {
    const camera = await startRtspCamera(VTEST, { fps: FPS, loop: true, codec: 'h264', gop: GOP });
    t.teardown(() => camera.stop());
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-busy-clips-'));
    let ws!: Awaited<ReturnType<typeof wsCollector>>;
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [
            {
              id: 'gate',
              source: camera.url,
              record: { maxBytes: QUOTA },
              clips: {
                enabled: true,
                preRollSeconds: 2,
                postRollSeconds: 1,
                events: ['track_started'],
                classes: ['person'],
                maxSeconds: MAX_S,
              },
            },
          ],
          model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
          embedder: { kind: 'histogram' },
          recordingsDir: dir,
          publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
        },
        'test',
      ),
      {
        logger: quietLogger,
        beforeCameras: async ({ websocketUrl }) => {
          ws = await wsCollector(`${websocketUrl}cameras/gate`);
        },
      },
    );
    t.teardown(() => ws.close());
    const folder = join(dir, 'gate');
    let worst = 0,
      largestSegment = 0;
    const started = performance.now();
    while (performance.now() - started < RUN_MS) {
      const files = filesUnder(folder);
      worst = Math.max(
        worst,
        files.reduce((n, f) => n + f.bytes, 0),
      );
      largestSegment = Math.max(largestSegment, ...files.filter((f) => f.name.endsWith('.mkv')).map((f) => f.bytes));
      await new Promise((r) => setTimeout(r, 200));
    }
    const readyBeforeStop = ws.messages.filter((m) => m.type === 'clip_ready').length;
    await runtime.stop();
    // The last clip_ready may still be on its way to the subscriber: wait for every clip the index lists.
    const indexedClips = () =>
      readFileSync(join(folder, 'clips', 'index.jsonl'), 'utf8')
        .trim()
        .split('\n').length;
    await settle(() => ws.messages.filter((m) => m.type === 'clip_ready').length >= indexedClips(), 5000);
    const clips = ws.messages.filter((m): m is ClipReadyMessage => m.type === 'clip_ready');
    t.ok(
      readyBeforeStop >= 2,
      `clips end while people stay in view: ${readyBeforeStop} clip_ready in ${RUN_MS / 1000} s`,
    );
    t.equal(
      new Set(clips.map((c) => c.clipId)).size,
      clips.length,
      `each clip announced once (${clips.map((c) => c.clipId).join(', ')})`,
    );
    t.ok(
      clips.slice(1).every((c) => c.continues !== undefined),
      'each later clip continues the one before (the same people stayed in view)',
    );
    t.ok(clips.length > readyBeforeStop, 'the clip open at the stop was finished and announced');
    const onDisk = readdirSync(join(folder, 'clips'));
    for (const clip of clips) {
      const seconds = (Date.parse(clip.end) - Date.parse(clip.start)) / 1000;
      t.ok(
        seconds <= MAX_S + 2 * SEGMENT_S + 1,
        `${clip.clipId} spans ${seconds.toFixed(1)} s (at most ${MAX_S} s, give or take a segment at each end)`,
      );
      if (!onDisk.includes(clip.clip.file)) continue; // the quota made room for newer files
      const frames = decodedFrames(join(folder, 'clips', clip.clip.file), 'mp4');
      t.ok(
        Math.abs(frames - seconds * FPS) <= GOP,
        `${clip.clip.file} decodes to its end: ${frames} frames for ${seconds.toFixed(1)} s`,
      );
    }
    // The pre-roll buffer records through the same split as continuous recording: its pictures are whole.
    const kept = clips.filter((c) => onDisk.includes(c.clip.file)).at(-1);
    if (kept) {
      const sources = await fileThumbnails(VTEST);
      const spec = {
        cameraId: 'clip',
        kind: 'file' as const,
        source: join(folder, 'clips', kept.clip.file),
        realtime: false,
        folderFps: 10,
        rtspLatencyMs: 0,
      };
      const pictures = await firstValueFrom(collect(spec, Infinity).pipe(toArray()));
      const worst = Math.min(...pictures.map((p) => Math.min(...bandPsnrs(p, sources[bestMatch(p, sources).index]))));
      t.ok(
        worst >= 30,
        `${kept.clip.file}: every picture close to the source frame it shows, band by band (worst ${worst.toFixed(1)} dB; a lost slice gives ~10)`,
      );
    }
    t.ok(
      clips.filter((c) => onDisk.includes(c.clip.file)).length >= 2,
      `${clips.filter((c) => onDisk.includes(c.clip.file)).length} clips still on disk were decoded (the older ones went to keep the quota)`,
    );
    t.same(
      onDisk.filter((f) => !f.endsWith('.mp4') && f !== 'index.jsonl'),
      [],
      'no partial file left',
    );
    const indexed = readFileSync(join(folder, 'clips', 'index.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { file: string }).file);
    t.same(
      onDisk.filter((f) => f.endsWith('.mp4')).sort(),
      indexed.filter((f) => onDisk.includes(f)).sort(),
      'every MP4 on disk is indexed',
    );
    t.ok(
      onDisk.filter((f) => f.endsWith('.mp4')).every((f) => clips.some((c) => c.clip.file === f)),
      'and was announced',
    );
    const largestClip = Math.max(0, ...clips.map((c) => c.clip.bytes));
    t.ok(
      worst <= QUOTA + largestClip + 3 * largestSegment,
      `the folder held at most ${(worst / 1e6).toFixed(2)} MB: quota ${(QUOTA / 1e6).toFixed(2)} MB + the largest clip ${(largestClip / 1e6).toFixed(2)} MB + segments being written (${(largestSegment / 1e6).toFixed(2)} MB each)`,
    );
  },
);
