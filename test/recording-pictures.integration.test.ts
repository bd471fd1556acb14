import { mkdtempSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type GstModule from 'gstreamer-superficial';
import type { AppSink } from 'gstreamer-superficial';
import { firstValueFrom, toArray } from 'rxjs';
import t from 'tap';
import { gstLaunchLine } from '../operators/sources/gst-launch.js';
import type { RecordingTarget, SourceSpec } from '../operators/sources/source-spec.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';
import { haveInputs, VTEST, haveGstElement } from './helpers/fixtures.js';
import { bandPsnrs, bestMatch, collect, fileThumbnails, type Picture } from './helpers/pictures.js';

const skip = (!haveInputs || !haveGstElement('x264enc')) && 'inputs or x264enc (gstreamer1.0-plugins-ugly) missing';
const FRAMES = 50;

function recordingInto(dir: string, errors: string[]): RecordingTarget {
  return {
    location: join(dir, 'gate-%06d.mkv'),
    startIndex: 0,
    segmentMs: 2000,
    onFragment: () => undefined,
    onError: (reason) => errors.push(reason),
  };
}

/** The worst band's PSNR of each picture against the source frame it matches best, dB. */
function worstBands(pictures: readonly Picture[], sources: readonly Float32Array[]): number[] {
  return pictures.map((p) => Math.min(...bandPsnrs(p, sources[bestMatch(p, sources).index])));
}
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: readonly number[]) => `min ${Math.min(...xs).toFixed(1)}, median ${median(xs).toFixed(1)} dB`;

t.test(
  'an H.264 camera with recording on: the model gets the same clean pictures as without',
  { skip, timeout: 180_000 },
  async (t) => {
    const sources = await fileThumbnails(VTEST);
    t.ok(sources.length > 700, `${sources.length} source frames as reference`);
    const camera = await startRtspCamera(VTEST, { fps: 10, loop: true, codec: 'h264', gop: 10 });
    t.teardown(() => camera.stop());
    const spec: SourceSpec = {
      cameraId: 'gate',
      kind: 'rtsp',
      source: camera.url,
      realtime: false,
      folderFps: 10,
      rtspLatencyMs: 200,
    };

    const plain = await firstValueFrom(collect(spec, FRAMES).pipe(toArray()));
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-rec-pictures-'));
    const errors: string[] = [];
    const recorded = await firstValueFrom(
      collect({ ...spec, recording: recordingInto(dir, errors) }, FRAMES).pipe(toArray()),
    );
    t.same(errors, [], 'the recording branch reported no error');
    t.equal(recorded.length, FRAMES);

    const off = worstBands(plain, sources),
      on = worstBands(recorded, sources);
    t.comment(`worst band PSNR against the source: recording off ${fmt(off)}; on ${fmt(on)}`);
    t.ok(
      Math.max(...recorded.map((p) => p.green ?? 1)) < 0.01,
      `no green garbage with recording on (largest share ${(100 * Math.max(...recorded.map((p) => p.green ?? 1))).toFixed(2)} % of a picture)`,
    );
    t.ok(
      Math.min(...on) >= Math.min(...off) - 3,
      `no picture with a damaged band: worst ${Math.min(...on).toFixed(1)} dB with recording, ${Math.min(...off).toFixed(1)} dB without`,
    );
    t.ok(
      Math.abs(median(on) - median(off)) <= 1.5,
      `PSNR within noise: median ${median(on).toFixed(1)} dB with recording, ${median(off).toFixed(1)} dB without`,
    );

    // The recording shows the same pictures.
    const segments = readdirSync(dir)
      .filter((f) => f.endsWith('.mkv'))
      .sort()
      .slice(0, -1); // the last one was cut off by the stop
    t.ok(segments.length >= 1, `finished segments: ${segments.join(', ')}`);
    const played = (
      await Promise.all(
        segments.map((f) =>
          firstValueFrom(
            collect(
              {
                cameraId: 'replay',
                kind: 'file',
                source: join(dir, f),
                realtime: false,
                folderFps: 10,
                rtspLatencyMs: 0,
              },
              Infinity,
            ).pipe(toArray()),
          ),
        ),
      )
    ).flat();
    const replayed = worstBands(played, sources);
    t.ok(
      played.length >= 10 && Math.min(...replayed) >= Math.min(...off) - 3,
      `the ${played.length} recorded frames are as clean: ${fmt(replayed)}`,
    );
  },
);

t.test(
  'a USB camera with recording on: the model gets exactly the pixels it gets without',
  { skip: !haveGstElement('x264enc') && 'x264enc missing', timeout: 90_000 },
  async (t) => {
    const gst = createRequire(import.meta.url)('gstreamer-superficial') as typeof GstModule;
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-usb-pictures-'));
    const spec: SourceSpec = {
      cameraId: 'desk',
      kind: 'v4l2',
      source: '/dev/video7',
      realtime: true,
      folderFps: 10,
      rtspLatencyMs: 200,
    };
    // A moving test pattern in place of the device, not paced (every frame is pulled), so frame n is the same picture in both runs.
    const standIn = 'videotestsrc pattern=ball num-buffers=40 ! video/x-raw,width=320,height=240,framerate=10/1';
    const framesOf = (line: string) =>
      new Promise<Map<number, Uint8Array>>((resolve, reject) => {
        const pipeline = new gst.Pipeline(
          line
            .replace('v4l2src device="/dev/video7"', standIn)
            .replace('max-buffers=1 drop=true', 'max-buffers=2 drop=false'),
        );
        const frames = new Map<number, Uint8Array>();
        const sink = pipeline.findChild('frames') as AppSink;
        const timer = setTimeout(() => {
          pipeline.stop();
          reject(new Error(`only ${frames.size} frames in 60 s`));
        }, 60_000);
        const pull = () =>
          sink.pull(
            (buf, caps) => {
              if (!buf) {
                clearTimeout(timer);
                pipeline.stop();
                resolve(frames);
                return;
              }
              frames.set(Math.round(Number(caps.ptsMs) / 100), Uint8Array.from(buf));
              pull();
            },
            undefined,
            'RGB',
          );
        pipeline.play();
        pull();
      });
    const errors: string[] = [];
    const plain = await framesOf(gstLaunchLine(spec));
    const recorded = await framesOf(gstLaunchLine({ ...spec, recording: recordingInto(dir, errors) }));
    t.equal(plain.size, 40, 'every frame without recording');
    t.equal(recorded.size, 40, 'every frame with recording');
    const differing = [...plain]
      .filter(([n, rgb]) => {
        const other = recorded.get(n);
        return !other || Buffer.compare(Buffer.from(rgb), Buffer.from(other)) !== 0;
      })
      .map(([n]) => n);
    t.same(differing, [], 'each frame the same, byte for byte');
    t.ok(
      readdirSync(dir).some((f) => f.endsWith('.mkv')),
      'and the recording was written',
    );
  },
);
