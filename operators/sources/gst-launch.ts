import { isLive, type SourceSpec } from './source-spec.js';

/** Name of the appsink element in every edgevis GStreamer graph. */
export const APPSINK_NAME = 'frames';
/** Names of the recording branch's queue and segment writer (their errors are the recording's, not the camera's). */
export const RECORDING_QUEUE = 'recqueue';
export const RECORDING_SINK = 'recsegments';
/** Name of the encoder of a recording of raw frames (a USB camera). */
export const RECORDING_ENCODER = 'recencoder';

/** Quotes a value for gst-launch syntax (double quotes, backslash escapes). */
export function gstQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The GStreamer graph of a camera as one gst-launch line: decode natively and hand the decoder's raw
 * frames (I420 and the like) at the original resolution to a bounded appsink. The conversion to
 * packed RGB happens when a frame is pulled (GStreamer's own converter, the one `videoconvert`
 * uses, on a libuv thread: see the vendored binding's `pull`), so frames a live source's appsink
 * drops are never converted.
 *
 * - file: as fast as the consumer pulls (`sync=false`, blocking queue of 2: nothing is lost);
 *   with realtime, clock-paced (`sync=true`) with a 1-frame leaky queue like a live camera.
 * - rtsp / http / v4l2: 1-frame leaky appsink, so the newest frame wins and latency stays bounded.
 *
 * - with `recording` (rtsp / http): the encoded stream is split before the decoder: one branch
 *   decodes for the model, the other writes it as it is into Matroska segments (splitmuxsink,
 *   `streamable`: a segment cut off by a crash plays up to its last cluster).
 * - with `recording` (v4l2): a USB camera's frames (raw or MJPEG) are decoded once and split after
 *   the decoder: the model's branch as above, and an H.264 encode (x264, ultrafast, zerolatency;
 *   splitmuxsink asks it for a keyframe at each split) into the same segments.
 *
 * The string can be printed, logged and pasted into `gst-launch-1.0` (replace appsink by fakesink).
 */
export function gstLaunchLine(spec: SourceSpec): string {
  const live = isLive(spec);
  const sink = `appsink name=${APPSINK_NAME} caps=video/x-raw sync=${spec.kind === 'file' && spec.realtime} max-buffers=${live ? 1 : 2} drop=${live} enable-last-sample=false`;
  const rec = spec.recording;
  if (rec && (spec.kind === 'rtsp' || spec.kind === 'http')) {
    // One connection for both: the stream is depayloaded and parsed once, then a tee hands it to the
    // decoder and, as it is (no re-encoding), to the segment writer. The writer's queue is leaky: a
    // slow disk drops recorded data, never the frames the model waits for.
    const source = spec.kind === 'rtsp'
      ? `rtspsrc location=${gstQuote(spec.source)} latency=${spec.rtspLatencyMs} protocols=tcp`
      : `souphttpsrc location=${gstQuote(spec.source)} is-live=true do-timestamp=true`;
    return `${source} ! parsebin ! capsfilter caps="video/x-h264;video/x-h265;image/jpeg" ! tee name=split `
      + `split. ! queue ! decodebin ! ${sink} `
      + `split. ! ${recordingQueue} ! ${segmentWriter(rec)}`;
  }
  if (rec && spec.kind === 'v4l2') {
    return `v4l2src device=${gstQuote(spec.source)} ! decodebin ! tee name=split `
      + `split. ! queue ! ${sink} `
      + `split. ! ${rawRecordingBranch(rec)}`;
  }
  switch (spec.kind) {
    case 'file':
      return `filesrc location=${gstQuote(spec.source)} ! decodebin ! ${sink}`;
    case 'rtsp':
      return `rtspsrc location=${gstQuote(spec.source)} latency=${spec.rtspLatencyMs} protocols=tcp ! decodebin ! ${sink}`;
    case 'http':
      // is-live: an IP camera's stream (MJPEG or other) is timestamped on arrival like a live source.
      return `souphttpsrc location=${gstQuote(spec.source)} is-live=true do-timestamp=true ! decodebin ! ${sink}`;
    case 'v4l2':
      return `v4l2src device=${gstQuote(spec.source)} ! decodebin ! ${sink}`;
    case 'frames':
      throw new Error('frame folders are read without GStreamer (see frame-folder-frames.ts)');
  }
}

/** The recording branch's queue: leaky, so a slow disk or encoder drops recorded data, never the frames the model waits for. */
const recordingQueue = `queue name=${RECORDING_QUEUE} leaky=downstream max-size-buffers=0 max-size-bytes=0 max-size-time=${3 * 1e9}`;

/** Matroska segments of `rec.segmentMs` (written as a stream: a segment cut off by a crash plays up to its last cluster). */
function segmentWriter(rec: NonNullable<SourceSpec['recording']>, extra = ''): string {
  return `splitmuxsink name=${RECORDING_SINK} location=${gstQuote(rec.location)} start-index=${rec.startIndex} max-size-time=${Math.round(rec.segmentMs * 1e6)} ${extra}`
    + 'muxer-factory=matroskamux muxer-properties="properties,streamable=true"';
}

/**
 * The recording branch for raw frames (after a tee behind the decoder): H.264 by x264 at its fastest
 * preset with no look-ahead (a live camera; ~1 frame of latency), keyframes where splitmuxsink asks
 * for them (a segment starts on one), then the same segments as an encoded camera's.
 */
export function rawRecordingBranch(rec: NonNullable<SourceSpec['recording']>): string {
  return `${recordingQueue} ! videoconvert ! x264enc name=${RECORDING_ENCODER} tune=zerolatency speed-preset=ultrafast key-int-max=300 ! h264parse `
    + `! ${segmentWriter(rec, 'send-keyframe-requests=true ')}`;
}
