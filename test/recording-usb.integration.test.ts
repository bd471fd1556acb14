// Recording a USB camera (raw frames, nothing to record as it is): the camera's GStreamer graph as
// edgevis builds it for a v4l2 device with recording on — decoded once, a tee after the decoder, an
// H.264 encode (x264) into Matroska segments — run by GStreamer with a live test source standing in
// for the device (no camera on a CI machine): segments of the configured length that decode to the
// frames they should hold, each starting on a keyframe (splitmuxsink asks the encoder for one).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { gstLaunchLine } from '../operators/sources/gst-launch.js';
import { decodedFrames } from './helpers/decoded-frames.js';
import { haveGstElement } from './helpers/fixtures.js';

const skip =
  !(haveGstElement('x264enc') && haveGstElement('h264parse') && haveGstElement('avdec_h264')) &&
  'x264enc, h264parse or avdec_h264 missing (gstreamer1.0-plugins-ugly, -bad, -libav)';
const FPS = 10,
  SECONDS = 6.5,
  SEGMENT_S = 2;

t.test(
  'a USB camera with recording on: decoded once, encoded to H.264 segments that play',
  { skip, timeout: 90_000 },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgevis-usb-rec-'));
    const line = gstLaunchLine({
      cameraId: 'desk',
      kind: 'v4l2',
      source: '/dev/video7',
      realtime: true,
      folderFps: 10,
      rtspLatencyMs: 200,
      recording: {
        location: join(dir, 'desk-%06d.mkv'),
        startIndex: 0,
        segmentMs: SEGMENT_S * 1000,
        onFragment: () => undefined,
        onError: () => undefined,
      },
    });
    t.match(
      line,
      /^v4l2src device="\/dev\/video7" ! decodebin ! tee name=split /,
      'one device, decoded once, then split',
    );
    t.match(
      line,
      /x264enc name=recencoder .*splitmuxsink name=recsegments .*send-keyframe-requests=true/,
      'an H.264 encode into the segments, keyframes at the splits',
    );
    t.equal(line.match(/decodebin/g)?.length, 1, 'nothing decoded twice');

    const stand_in = `videotestsrc is-live=true pattern=ball num-buffers=${Math.round(FPS * SECONDS)} ! video/x-raw,width=320,height=240,framerate=${FPS}/1`;
    // Nobody pulls from the appsink here: it must not wait for that at the end of the stream.
    const runnable = line
      .replace('v4l2src device="/dev/video7"', stand_in)
      .replace('appsink name=frames', 'appsink name=frames wait-on-eos=false');
    execFileSync('/bin/sh', ['-c', `gst-launch-1.0 -e ${runnable}`], { timeout: 60_000, stdio: 'ignore' });

    const segments = readdirSync(dir)
      .filter((f) => f.endsWith('.mkv'))
      .sort();
    t.ok(segments.length >= 3, `segments of ${SEGMENT_S} s for ${SECONDS} s of frames: ${segments.join(', ')}`);
    const frames = segments.map((f) => decodedFrames(join(dir, f)));
    t.ok(
      frames.slice(0, -1).every((n) => Math.abs(n - SEGMENT_S * FPS) <= 2),
      `each full segment decodes from its first frame to its last: ${frames.join(', ')} frames (${SEGMENT_S * FPS} expected)`,
    );
    t.equal(
      frames.reduce((a, b) => a + b, 0),
      Math.round(FPS * SECONDS),
      'every frame was recorded',
    );
  },
);
