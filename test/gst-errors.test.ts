// GStreamer's error messages turned into SourceErrors with a code and a fix, decided by the message's
// meaning for the source's kind; recording elements recognised by name.
import t from 'tap';
import { explainGstError, isRecordingElement } from '../operators/sources/gst-errors.js';
import type { SourceSpec } from '../operators/sources/source-spec.js';

const spec = (kind: SourceSpec['kind'], source: string): SourceSpec => ({
  cameraId: 'gate',
  kind,
  source,
  realtime: false,
  folderFps: 10,
  rtspLatencyMs: 200,
});

t.test('explainGstError: a code and a fix per cause', async (t) => {
  const rtsp = spec('rtsp', 'rtsp://127.0.0.1:8554/cam');
  const refused = explainGstError(rtsp, 'Could not open resource for reading and writing.', 0);
  t.equal(refused.code, 'unreachable');
  t.match(refused.message, /RTSP server not reachable \(Could not open resource/);
  t.match(explainGstError(rtsp, 'Could not connect to server', 120).message, /after 120 frames/, 'says how far it got');
  t.equal(explainGstError(rtsp, 'Not Found (404)', 0).code, 'stream-not-found');
  t.equal(explainGstError(spec('http', 'http://127.0.0.1/cam.mjpg'), 'Not Found', 0).code, 'stream-not-found');
  t.equal(explainGstError(spec('file', '/tmp/x.avi'), 'Could not determine type of stream.', 0).code, 'undecodable');
  t.equal(explainGstError(spec('file', '/tmp/x.avi'), 'Internal data stream error.', 0).code, 'undecodable');
  const other = explainGstError(spec('file', '/tmp/x.avi'), 'something new', 3);
  t.equal(other.code, 'gstreamer');
  t.match(other.message, /GStreamer error after 3 frames: something new/);
});

t.test("isRecordingElement: the recording branch's elements by name", async (t) => {
  t.ok(isRecordingElement('/GstPipeline:pipeline0/GstSplitMuxSink:recsegments/GstFileSink:sink'));
  t.ok(isRecordingElement('/GstPipeline:pipeline0/GstQueue:recqueue'));
  t.ok(isRecordingElement('/GstPipeline:pipeline0/GstDecodeBin:recparse/GstRtpH264Depay:rtph264depay0'));
  t.notOk(isRecordingElement('/GstPipeline:pipeline0/GstDecodeBin:decodebin0/avdec_h264:avdec_h264-0'));
});
