import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { lastValueFrom, toArray } from 'rxjs';
import { gstreamerFrames } from '../operators/sources/gstreamer-frames.js';
import { startRtspCamera } from '../simulate/rtsp-camera.js';

t.test('the simulated RTSP camera loops a short recording at the chosen frame rate', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'edgevis-loop-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const clip = join(dir, 'clip.avi');
  // A real 12-frame MJPEG AVI, made with GStreamer itself.
  execFileSync('gst-launch-1.0', [
    '-q',
    'videotestsrc',
    'num-buffers=12',
    'pattern=ball',
    '!',
    'video/x-raw,width=320,height=240,framerate=12/1',
    '!',
    'jpegenc',
    '!',
    'avimux',
    '!',
    'filesink',
    `location=${clip}`,
  ]);
  const camera = await startRtspCamera(clip, { fps: 25, loop: true, mount: 'loop' });
  t.teardown(() => camera.stop());
  const started = performance.now();
  const frames = await lastValueFrom(
    gstreamerFrames({
      cameraId: 'loop',
      kind: 'rtsp',
      source: camera.url,
      realtime: false,
      maxFrames: 40,
      folderFps: 10,
      rtspLatencyMs: 100,
    }).pipe(toArray()),
  );
  const seconds = (performance.now() - started) / 1000;
  t.equal(frames.length, 40, '40 frames from a 12-frame file: the camera looped');
  t.ok(frames.every((f) => f.width === 320 && f.height === 240));
  const span = (frames[39].ptsMs - frames[0].ptsMs) / 1000;
  t.ok(
    span > (39 / 25) * 0.7 && span < (39 / 25) * 1.5,
    `media time advances at about 25 fps (39 frames over ${span.toFixed(2)} s)`,
  );
  t.ok(seconds > (39 / 25) * 0.7, `delivered in real time, not faster (${seconds.toFixed(2)} s)`);
});
