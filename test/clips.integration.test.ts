import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { chromium, type Browser } from 'playwright-core';
import t from 'tap';
import { parseConfig } from '../config/load.js';
import type { ClipReadyMessage } from '../operators/wire/message-schema.js';
import { replayRecording } from '../pipeline/replay/replay.js';
import { startEdgevis } from '../pipeline/runtime.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { haveInputs, MODEL, quietLogger, VTEST, haveGstElement } from './helpers/fixtures.js';
import { settle, wsCollector } from './helpers/subscribers.js';
import { decodedFrames } from './helpers/decoded-frames.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const x264 = haveGstElement('x264enc');
const FPS = 10,
  GOP = 10,
  PRE_ROLL_S = 2;

t.test(
  'a clip per event with its pre-roll, replayable, played by Chromium from the viewer',
  { skip: (!haveInputs || !x264) && 'inputs or x264enc missing', timeout: 180_000 },
  async (t) => {
    const camera = await startRtspCamera(VTEST, { fps: FPS, loop: true, codec: 'h264', gop: GOP });
    t.teardown(() => camera.stop());
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-clips-'));
    let ws!: Awaited<ReturnType<typeof wsCollector>>;
    // The viewer watches from the start, so its event list gets the events as they happen.
    const browser: Browser | null = existsSync(CHROMIUM)
      ? await chromium.launch({
          executablePath: CHROMIUM,
          args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required'],
        })
      : null;
    if (browser) t.teardown(() => browser.close());
    const page = await browser?.newPage();
    const errors: string[] = [];
    page?.on('pageerror', (e) => errors.push(e.message));
    const runtime = await startEdgevis(
      parseConfig(
        {
          cameras: [
            {
              id: 'gate',
              source: camera.url,
              maxFrames: 150,
              clips: {
                enabled: true,
                preRollSeconds: PRE_ROLL_S,
                postRollSeconds: 1,
                events: ['track_started'],
                classes: ['person'],
              },
            },
          ],
          model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
          embedder: { kind: 'histogram' },
          // People enter ~1.5 s into the stream; confirmed after 10 frames, the first event comes once the pre-roll is buffered.
          tracker: { confirmHits: 10 },
          recordingsDir: dir,
          publish: { websocket: { port: 0 }, mqtt: { enabled: false } },
        },
        'test',
      ),
      {
        logger: quietLogger,
        beforeCameras: async ({ websocketUrl }) => {
          ws = await wsCollector(`${websocketUrl}cameras/gate`);
          await page?.goto(`${websocketUrl!.replace(/^ws/, 'http')}?camera=gate`);
        },
      },
    );
    t.teardown(async () => {
      ws.close();
      await runtime.stop();
    });
    await runtime.done;
    await settle(() => ws.messages.some((m) => m.type === 'clip_ready'), 30_000);
    const clip = ws.messages.find((m): m is ClipReadyMessage => m.type === 'clip_ready');
    t.ok(
      clip,
      `clip_ready was published (${[...new Set(ws.messages.map((m) => m.type))].join(', ')}; ${ws.messages.filter((m) => m.type === 'track_started').length} started)`,
    );
    if (!clip) return;
    const validate = new Ajv({ strict: false }).compile(
      JSON.parse(
        readFileSync(new URL('../operators/wire/track-messages.schema.json', import.meta.url), 'utf8'),
      ) as object,
    );
    t.ok(validate(clip), `clip_ready validates ${JSON.stringify(validate.errors)}`);
    const firstIndex = ws.messages.findIndex((m) => m.type === 'track_started');
    const first = ws.messages[firstIndex];
    t.ok(
      first && 'eventId' in first && clip.eventIds.includes(first.eventId),
      `the clip holds the first event (${clip.eventIds.length} in all)`,
    );
    const events = ws.messages.filter((m) => 'eventId' in m && clip.eventIds.includes(m.eventId));
    t.ok(
      events.length === clip.eventIds.length && events.every((m) => 'clipId' in m && m.clipId === clip.clipId),
      `each of its events named the clip from the start (clipId ${clip.clipId})`,
    );
    const endedInClip = ws.messages.filter((m) => m.type === 'track_ended' && m.clipId === clip.clipId).length;
    t.ok(endedInClip >= 1, `the ends of its tracks name it too (${endedInClip})`);
    t.ok(
      ws.messages.filter((m) => 'clipId' in m && m.type !== 'clip_ready').every((m) => validate(m)),
      `events with clipId validate ${JSON.stringify(validate.errors)}`,
    );
    const eventWall = Date.now() - (performance.now() - ws.receivedAt[firstIndex]);
    const start = Date.parse(clip.start);
    t.ok(
      start <= eventWall - PRE_ROLL_S * 1000 + (1000 * GOP) / FPS + 300,
      `the clip starts the pre-roll before the event, within one GOP: ${((eventWall - start) / 1000).toFixed(1)} s before it`,
    );

    const http = runtime.websocketUrl!.replace(/^ws/, 'http').replace(/\/$/, '');
    const listed = (await (await fetch(`${http}/media/gate/?from=${encodeURIComponent(clip.start)}`)).json()) as {
      clips: { clipId: string; eventIds: string[]; url: string }[];
    };
    t.same(
      listed.clips.map((c) => [c.clipId, c.eventIds, c.url]),
      [[clip.clipId, clip.eventIds, clip.clip.url]],
      'GET /media/gate/?from= lists the clip with its events',
    );
    t.match(
      await (await fetch(`${http}/metrics`)).text(),
      /^edgevis_clips_total\{camera="gate"\} [1-9]/m,
      '/metrics counts the clip',
    );
    const file = join(dir, 'gate', 'clips', clip.clip.file);
    const frames = decodedFrames(file, 'mp4');
    const seconds = (Date.parse(clip.end) - start) / 1000;
    t.ok(
      Math.abs(frames - seconds * FPS) <= GOP,
      `the MP4 decodes: ${frames} frames for ${seconds.toFixed(1)} s at ${FPS} fps`,
    );

    const replay = async (n: number) => {
      const out = join(dir, `replay-${n}`);
      const metrics = await replayRecording(
        parseConfig(
          {
            cameras: [{ id: 'clip', source: file }],
            model: { path: MODEL, executionProviders: ['cpu'], classes: ['person'] },
            embedder: { kind: 'histogram' },
            publish: { websocket: { enabled: false }, mqtt: { enabled: false } },
          },
          'test',
        ),
        { logger: quietLogger, outDir: out, results: false },
      );
      return { events: readFileSync(join(out, 'events.jsonl'), 'utf8'), metrics };
    };
    const [a, b] = [await replay(1), await replay(2)];
    t.ok(a.events.includes('"track_started"'), 'replaying the clip finds the tracks');
    const [linesA, linesB] = [a.events.split('\n'), b.events.split('\n')];
    // The same messages, ids, frames and tracks; numbers equal up to float noise: under parallel load two
    // replays of this H.264 clip once differed in a score's 4th decimal and a box's 2nd (seen in 2 of
    // ~10 runs beside other tests, never alone; the AVI replay test stays byte for byte). Masks left out.
    const close = (x: unknown, y: unknown): boolean => {
      if (typeof x === 'number' && typeof y === 'number') return Math.abs(x - y) <= 0.05;
      if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((v, k) => close(v, y[k]));
      if (x && y && typeof x === 'object' && typeof y === 'object') {
        const [kx, ky] = [Object.keys(x), Object.keys(y)];
        return (
          kx.join() === ky.join() &&
          kx.every((k) => k === 'mask' || close((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]))
        );
      }
      return x === y;
    };
    const firstDifference = linesA.findIndex(
      (line, k) => !(line === linesB[k] || (line && linesB[k] && close(JSON.parse(line), JSON.parse(linesB[k])))),
    );
    t.ok(
      linesA.length === linesB.length && firstDifference === -1,
      `replaying the clip twice gives the same events (${linesA.length} lines, ${linesA.filter((l, k) => l !== linesB[k]).length} not byte-identical)`,
      {
        firstDifference,
        lineA: linesA[firstDifference]?.slice(0, 300),
        lineB: linesB[firstDifference]?.slice(0, 300),
        metricsA: a.metrics,
        metricsB: b.metrics,
      },
    );

    if (!page) {
      t.comment('chromium missing: the player is not tested here');
      return;
    }
    // The event that opened the clip became a link to it once clip_ready came.
    await page.waitForSelector('#events div.has-clip', { timeout: 15_000 });
    await page.click('#events div.has-clip');
    t.equal(
      await page.evaluate(() => (window as unknown as { edgevisViewer: { playing: string } }).edgevisViewer.playing),
      clip.clip.url,
      'a click on one of its events in the viewer plays the clip',
    );
    await page.reload();
    await page.waitForSelector('#clips button', { timeout: 15_000 });
    await page.click('#clips button');
    await page.waitForFunction(
      () => (document.getElementById('player') as HTMLVideoElement).currentTime > 0.5,
      undefined,
      { timeout: 20_000 },
    );
    const played = await page.evaluate(() => {
      const v = document.getElementById('player') as HTMLVideoElement;
      return { currentTime: v.currentTime, duration: v.duration, width: v.videoWidth };
    });
    t.ok(
      played.currentTime > 0.5 && played.width === 768,
      `Chromium plays the clip from the viewer (currentTime ${played.currentTime.toFixed(1)} s of ${played.duration.toFixed(1)} s, ${played.width} px wide)`,
    );
    t.same(errors, [], 'no page errors');
  },
);
