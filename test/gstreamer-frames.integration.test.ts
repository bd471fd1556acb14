import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import t from 'tap';
import { lastValueFrom, mergeMap, timer, map, toArray, take } from 'rxjs';
import { FrameCredit } from '../operators/backpressure/frame-credit.js';
import { gstLaunchLine } from '../operators/sources/gst-launch.js';
import { createHash } from 'node:crypto';
import { FrameBufferPool, recycleFrameBuffer } from '../operators/sources/frame-buffer-pool.js';
import { gstreamerFrames } from '../operators/sources/gstreamer-frames.js';
import type { SourceSpec } from '../operators/sources/source-spec.js';
import { haveInputs, VTEST } from './helpers/fixtures.js';

const spec: SourceSpec = {
  cameraId: 'pets',
  kind: 'file',
  source: VTEST,
  realtime: false,
  folderFps: 10,
  rtspLatencyMs: 200,
};

t.test('the graph is one printable gst-launch line with a bounded appsink', async (t) => {
  t.equal(
    gstLaunchLine(spec),
    `filesrc location="${VTEST}" ! decodebin ! appsink name=frames caps=video/x-raw sync=false max-buffers=2 drop=false enable-last-sample=false`,
  );
  t.match(
    gstLaunchLine({ ...spec, kind: 'rtsp', source: 'rtsp://h/x"y' }),
    /rtspsrc location="rtsp:\/\/h\/x\\"y" latency=200 protocols=tcp .* max-buffers=1 drop=true/,
  );
});

t.test(
  'a file read on demand yields every frame, with media timestamps from the frame rate',
  { skip: !haveInputs && 'vtest.avi missing' },
  async (t) => {
    const credit = new FrameCredit(2);
    // A consumer slower than the decoder: the source must wait, and lose nothing at end of stream.
    const frames = await lastValueFrom(
      gstreamerFrames(spec, credit).pipe(
        mergeMap((f) =>
          timer(1).pipe(
            map(() => {
              credit.release();
              return { i: f.frameIndex, pts: f.ptsMs, w: f.width, h: f.height, n: f.rgb.length };
            }),
          ),
        ),
        toArray(),
      ),
    );
    t.equal(frames.length, 795, 'all 795 frames of vtest.avi');
    t.ok(
      frames.every((f, k) => f.i === k && f.pts === k * 100),
      'index k at k * 100 ms (10 fps)',
    );
    t.ok(
      frames.every((f) => f.w === 768 && f.h === 576 && f.n === 768 * 576 * 3),
      'original size, packed RGB',
    );
  },
);

t.test(
  'frames pulled into recycled buffers carry the same pixels as fresh ones, with four frames in flight',
  { skip: !haveInputs && 'vtest.avi missing' },
  async (t) => {
    const sha1 = (rgb: Uint8Array) => createHash('sha1').update(rgb).digest('hex');
    const fresh = await lastValueFrom(
      gstreamerFrames({ ...spec, maxFrames: 80 }).pipe(
        map((f) => sha1(f.rgb)),
        toArray(),
      ),
    );
    // Watch which buffers the source takes from its pool, to see that GStreamer's thread wrote into them.
    const taken = new WeakSet<ArrayBufferLike>();
    const take = FrameBufferPool.prototype.take;
    FrameBufferPool.prototype.take = function (this: FrameBufferPool) {
      const b = take.call(this);
      if (b) taken.add(b.buffer);
      return b;
    };
    t.teardown(() => {
      FrameBufferPool.prototype.take = take;
    });
    const credit = new FrameCredit(4);
    let intoTaken = 0;
    // Frames wait 0-3 ms in the consumer, so several are held while the source pulls more: a buffer
    // handed out twice would be overwritten under a frame still in the graph and change its hash.
    const recycled = await lastValueFrom(
      gstreamerFrames({ ...spec, maxFrames: 80 }, credit).pipe(
        mergeMap((f, k) =>
          timer(k % 4).pipe(
            map(() => {
              if (taken.has(f.rgb.buffer)) intoTaken++;
              const hash = sha1(f.rgb);
              recycleFrameBuffer(f.rgb);
              const emptied = f.rgb.length === 0;
              credit.release();
              return { k: f.frameIndex, hash, emptied };
            }),
          ),
        ),
        toArray(),
      ),
    );
    recycled.sort((a, b) => a.k - b.k);
    t.same(
      recycled.map((r) => r.hash),
      fresh,
      'the same 80 frames, pixel for pixel',
    );
    t.ok(
      recycled.every((r) => r.emptied),
      'each recycled frame reads as empty afterwards',
    );
    t.ok(intoTaken >= 70, `GStreamer wrote ${intoTaken} of 80 frames into recycled buffers`);
  },
);

t.test(
  'a video whose RGB rows GStreamer would pad (854 pixels wide: 2562 bytes, padded to 2564) gives packed frames with the pixels of videoconvert',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-odd-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'odd854.avi');
    const made = spawnSync(
      'gst-launch-1.0',
      [
        '-q',
        'videotestsrc',
        'pattern=smpte',
        'num-buffers=12',
        '!',
        'video/x-raw,width=854,height=480,framerate=10/1',
        '!',
        'videoconvert',
        '!',
        'avenc_mpeg4',
        '!',
        'avimux',
        '!',
        'filesink',
        `location=${file}`,
      ],
      { timeout: 30_000 },
    );
    t.equal(made.status, 0, `test video made (${String(made.stderr).trim() || 'ok'})`);
    // Reference: the same decode converted to RGBA (4 bytes a pixel: rows need no padding), alpha dropped.
    const gst = createRequire(import.meta.url)(
      'gstreamer-superficial',
    ) as typeof import('gstreamer-superficial').default;
    const pipeline = new gst.Pipeline(
      `filesrc location="${file}" ! decodebin ! videoconvert ! video/x-raw,format=RGBA ! appsink name=frames sync=false max-buffers=2 drop=false`,
    );
    const sink = pipeline.findChild('frames') as import('gstreamer-superficial').AppSink;
    pipeline.play();
    const reference: string[] = [];
    for (;;) {
      const rgba = await new Promise<Uint8Array | null>((resolve) => sink.pull((b) => resolve(b)));
      if (!rgba) break;
      const rgb = new Uint8Array((rgba.length / 4) * 3);
      for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
        rgb[j] = rgba[i];
        rgb[j + 1] = rgba[i + 1];
        rgb[j + 2] = rgba[i + 2];
      }
      reference.push(createHash('sha1').update(rgb).digest('hex'));
    }
    pipeline.stop();
    // edgevis: frames are converted from the decoder's I420 to packed RGB when pulled, into a new
    // buffer for the first one, into recycled ones after.
    const frames = await lastValueFrom(
      gstreamerFrames({ ...spec, cameraId: 'odd', source: file }).pipe(
        map((f) => {
          const r = { w: f.width, n: f.rgb.length, hash: createHash('sha1').update(f.rgb).digest('hex') };
          recycleFrameBuffer(f.rgb);
          return r;
        }),
        toArray(),
      ),
    );
    t.equal(frames.length, 12, 'every frame');
    t.ok(
      frames.every((f) => f.w === 854 && f.n === 854 * 480 * 3),
      'packed 854 × 480 × 3 bytes',
    );
    t.same(
      frames.map((f) => f.hash),
      reference,
      'the same pixels as the unpadded RGBA conversion, frame by frame',
    );
  },
);

t.test(
  'unsubscribing early stops the pipeline and the process can go on',
  { skip: !haveInputs && 'vtest.avi missing' },
  async (t) => {
    const first = await lastValueFrom(gstreamerFrames({ ...spec, maxFrames: 5 }).pipe(toArray()));
    t.equal(first.length, 5, 'maxFrames');
    const three = await lastValueFrom(gstreamerFrames(spec).pipe(take(3), toArray()));
    t.equal(three.length, 3);
  },
);

t.test(
  'stopped pipelines give their threads back: a process that unsubscribed four live sources on a 2-thread pool exits by itself',
  {
    skip:
      (!haveInputs || !existsSync('dist/operators/sources/gstreamer-frames.js')) &&
      'vtest.avi or dist/ missing (run setup.sh)',
    timeout: 60_000,
  },
  async (t) => {
    // The library's bus poller blocks in gst_bus_timed_pop() without a timeout; with a flushed bus
    // after stop() a late poller never returned, and the process never exited (seen in CI).
    const child = spawn(process.execPath, ['test/helpers/stop-live-sources.mjs', VTEST], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, UV_THREADPOOL_SIZE: '2' },
    });
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
      child.once('exit', (c, s) => r([c, s])),
    );
    clearTimeout(killer);
    t.match(stdout, /unsubscribed/, 'every source delivered its frames and was unsubscribed');
    t.equal(signal, null, 'exited by itself (not killed after 20 s)');
    t.equal(code, 0);
  },
);
