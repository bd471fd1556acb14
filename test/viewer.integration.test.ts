// The web viewer in a real headless Chromium (Debian's chromium, driven by playwright-core) during
// `edgevis replay --serve` of the real recording: the overlay is drawn where a tracked person's
// published mask is and nowhere near no track, the frame index shown is the overlay's, no console errors.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import t from 'tap';
import { decodeRle, type CocoRle } from '../models/coco-rle.js';
import { haveInputs, MODEL, VTEST } from './helpers/fixtures.js';
import { settle } from './helpers/subscribers.js';

const cli = resolve('dist/pipeline/cli.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Where the test leaves its screenshot (ignored by git). */
const ARTIFACTS = resolve('test-artifacts');

/** Whether (x, y) is within 4 px of the segment a–b (the trail is stroked 2 px wide). */
function nearSegment(x: number, y: number, a: [number, number], b: [number, number]): boolean {
  const dx = b[0] - a[0],
    dy = b[1] - a[1],
    len2 = dx * dx + dy * dy;
  const u = len2 > 0 ? Math.max(0, Math.min(1, ((x - a[0]) * dx + (y - a[1]) * dy) / len2)) : 0;
  return Math.hypot(x - (a[0] + u * dx), y - (a[1] + u * dy)) <= 4;
}

interface Drawn {
  frameIndex: number;
  width: number;
  height: number;
  tracks: { id: number; bbox: [number, number, number, number]; mask: CocoRle | null; trail: [number, number][] }[];
}

t.test(
  "the viewer draws each tracked person's mask over the picture of the same frame, in Chromium",
  {
    skip:
      (!haveInputs || !existsSync(cli) || !existsSync(CHROMIUM)) &&
      'inputs, dist/ or chromium missing (run setup.sh --test)',
    timeout: 120_000,
  },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-viewer-'));
    const config = join(dir, 'replay.yaml');
    writeFileSync(
      config,
      [
        `model: { path: "${MODEL}", executionProviders: [cpu], classes: [person] }`,
        'embedder: { kind: histogram }',
        'publish: { websocket: { port: 0 }, mqtt: { enabled: false } }',
      ].join('\n'),
    );
    const child = spawn(
      process.execPath,
      [
        cli,
        'replay',
        VTEST,
        '--serve',
        '--realtime',
        '--max-frames',
        '300',
        '--config',
        config,
        '-o',
        join(dir, 'out'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    t.teardown(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    await settle(() => /viewer:\s+(http:\/\/\S+)/.test(stdout), 30_000);
    const url = stdout.match(/viewer:\s+(http:\/\/\S+)/)?.[1];
    t.ok(url, 'replay --serve printed the viewer address');

    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu'],
    });
    t.teardown(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(url!);
    await page.waitForFunction(
      () => {
        const v = (window as unknown as { edgevisViewer: { drawn: number; last: Drawn | null } }).edgevisViewer;
        return v.drawn >= 5 && (v.last?.tracks.filter((k) => k.mask).length ?? 0) >= 2;
      },
      undefined,
      { timeout: 60_000 },
    );

    // Freeze one drawn state: what was drawn last, the overlay's pixels and the frame index shown, in one evaluation.
    const snap = await page.evaluate(() => {
      const v = (window as unknown as { edgevisViewer: { last: Drawn } }).edgevisViewer;
      const overlay = document.getElementById('overlay') as HTMLCanvasElement;
      const alpha = overlay
        .getContext('2d')!
        .getImageData(0, 0, overlay.width, overlay.height)
        .data.filter((_, i) => i % 4 === 3);
      return { last: v.last, alpha: Array.from(alpha), shown: document.getElementById('frame')!.textContent };
    });
    const { last, alpha, shown } = snap;
    t.equal(shown, String(last.frameIndex), `the frame index shown (${shown}) is the overlay's`);
    const { width: w, height: h } = last;
    // Inside: pixels of each published mask, away from every box outline (labels and strokes are drawn there too).
    const nearBox = (x: number, y: number) =>
      last.tracks.some(
        ({ bbox: [bx, by, bw, bh], trail }) =>
          (x >= bx - 4 && x <= bx + bw + 4 && y >= by - 4 && y <= by + bh + 4) ||
          (x >= bx - 4 && x <= bx + 120 && y >= by - 20 && y <= by) /* label */ ||
          trail.some((q, i) => i > 0 && nearSegment(x, y, trail[i - 1], q)),
      ); // the trail: a polyline through the track's past bottom centres
    let inside = 0,
      insideDrawn = 0;
    for (const track of last.tracks.filter((k) => k.mask)) {
      const mask = decodeRle(track.mask!);
      for (let i = 0; i < mask.length; i += 7)
        if (mask[i]) {
          inside++;
          if (alpha[i] > 0) insideDrawn++;
        }
    }
    let outside = 0,
      outsideDrawn = 0;
    for (let y = 0; y < h; y += 3)
      for (let x = 0; x < w; x += 3)
        if (!nearBox(x, y)) {
          outside++;
          if (alpha[y * w + x] > 0) outsideDrawn++;
        }
    t.ok(inside > 500, `sampled ${inside} pixels inside ${last.tracks.length} tracks' masks`);
    t.ok(insideDrawn / inside > 0.98, `the overlay covers the published masks (${insideDrawn}/${inside})`);
    t.ok(outside > 5000, `sampled ${outside} pixels away from every track`);
    t.equal(outsideDrawn, 0, 'nothing is drawn away from the tracks');
    const picture = await page.evaluate(() => {
      const c = document.getElementById('picture') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4000) sum += d[i];
      return { width: c.width, height: c.height, sum };
    });
    t.same([picture.width, picture.height], [768, 576], 'the picture is at frame resolution');
    t.ok(picture.sum > 0, 'and holds the camera picture');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'viewer.png') });
    t.comment(`screenshot: ${join(ARTIFACTS, 'viewer.png')} (frame ${last.frameIndex}, ${last.tracks.length} tracks)`);
    t.same(consoleErrors, [], 'no console errors');
  },
);
