import { isLive, type SourceSpec } from './source-spec.js';

/** Name of the appsink element in every edgevis GStreamer graph. */
export const APPSINK_NAME = 'frames';
/** Names of the recording branch's queue, parser and segment writer (their errors are the recording's, not the camera's). */
export const RECORDING_QUEUE = 'recqueue';
export const RECORDING_PARSER = 'recparse';
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
 * - with `recording` (rtsp / http): the stream is split as it arrives (RTP packets, HTTP bytes),
 *   before any depayloader or parser: one branch decodes for the model exactly as without
 *   recording, the other depayloads and parses on its own ({@link RECORDING_PARSE}) and writes the
 *   encoded stream as it is (no re-encoding) into Matroska segments (splitmuxsink, `streamable`: a
 *   segment cut off by a crash plays up to its last cluster).
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
    const source =
      spec.kind === 'rtsp'
        ? `rtspsrc location=${gstQuote(spec.source)} latency=${spec.rtspLatencyMs} protocols=tcp ! capsfilter caps="application/x-rtp,media=video"`
        : `souphttpsrc location=${gstQuote(spec.source)} is-live=true do-timestamp=true`;
    return (
      `${source} ! tee name=split ` +
      `split. ! queue ! decodebin ! ${sink} ` +
      `split. ! ${recordingQueue} ! ${RECORDING_PARSE} ! ${segmentWriter(rec)}`
    );
  }
  if (rec && spec.kind === 'v4l2') {
    return (
      `v4l2src device=${gstQuote(spec.source)} ! decodebin ! tee name=split ` +
      `split. ! queue ! ${sink} ` +
      `split. ! ${rawRecordingBranch(rec)}`
    );
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

/**
 * The recording branch's depayloading and parsing: decodebin told to stop at parsed H.264/H.265 or
 * JPEG, so it plugs the depayloader and parser together and their caps are negotiated end to end:
 * the RTP depayloader hands over whole access units (by the RTP marker bit), as in the decoding
 * branch. parsebin (what was here, and before the tee) links its parser's output only after the
 * depayloader chose NAL-unit alignment, and the parser then rebuilt access units itself and cut a
 * keyframe of several slices in two where the camera repeats SPS/PPS before each slice
 * (gst-rtsp-server's rtph264pay with config-interval=-1 and a sliced x264 does): the model's
 * pictures lost their top slices and the recording its bottom ones, concealed until the next
 * keyframe (test/recording-pictures.integration.test.ts compares both with the source).
 */
export const RECORDING_PARSE = `decodebin name=${RECORDING_PARSER} caps="video/x-h264,parsed=true;video/x-h265,parsed=true;image/jpeg" ! capsfilter caps="video/x-h264;video/x-h265;image/jpeg"`;

/** The recording branch's queue: leaky, so a slow disk or encoder drops recorded data, never the frames the model waits for. */
const recordingQueue = `queue name=${RECORDING_QUEUE} leaky=downstream max-size-buffers=0 max-size-bytes=0 max-size-time=${3 * 1e9}`;

/**
 * How much longer than `segmentMs` a segment may get before splitmuxsink starts the next one, ms:
 * it splits only at a keyframe, when the segment plus the group of pictures gathered since the last
 * keyframe would pass its max-size-time. With a limit of exactly `segmentMs`, a few ms of RTP
 * timestamp jitter made 2 GOPs of 2 s "longer" than 4 s, and segments alternated 4 s and 2 s.
 * With this tolerance a segment holds the whole GOPs that fit in `segmentMs` (all of them when the
 * GOP divides it: even segments).
 */
export function segmentToleranceMs(segmentMs: number): number {
  return Math.max(100, segmentMs * 0.05);
}

/** Matroska segments of `rec.segmentMs` (written as a stream: a segment cut off by a crash plays up to its last cluster). */
function segmentWriter(rec: NonNullable<SourceSpec['recording']>, requestKeyframes = false): string {
  // An encoder of ours puts a keyframe where splitmuxsink asks (every max-size-time): no tolerance there.
  const maxNs = Math.round((rec.segmentMs + (requestKeyframes ? 0 : segmentToleranceMs(rec.segmentMs))) * 1e6);
  return (
    `splitmuxsink name=${RECORDING_SINK} location=${gstQuote(rec.location)} start-index=${rec.startIndex} max-size-time=${maxNs} ${requestKeyframes ? 'send-keyframe-requests=true ' : ''}` +
    'muxer-factory=matroskamux muxer-properties="properties,streamable=true"'
  );
}

/**
 * The recording branch for raw frames (after a tee behind the decoder): H.264 by x264 at its fastest
 * preset with no look-ahead (a live camera; ~1 frame of latency), keyframes where splitmuxsink asks
 * for them (a segment starts on one), then the same segments as an encoded camera's.
 */
export function rawRecordingBranch(rec: NonNullable<SourceSpec['recording']>): string {
  return (
    `${recordingQueue} ! videoconvert ! x264enc name=${RECORDING_ENCODER} tune=zerolatency speed-preset=ultrafast key-int-max=300 ! h264parse ` +
    `! ${segmentWriter(rec, true)}`
  );
}
