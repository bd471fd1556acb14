import { createRequire } from 'node:module';
import type GstModule from 'gstreamer-superficial';
import type { BusMessage } from 'gstreamer-superficial';
import { gstQuote, RECORDING_PARSE } from '../../operators/sources/gst-launch.js';
import { redactSource } from '../../operators/sources/redact-secrets.js';
import { inferSourceKind } from '../../operators/sources/source-spec.js';

/**
 * The GStreamer graph that records `source` into `out` (Matroska written as a stream: every
 * cluster is playable as soon as it is written, so a file cut off by a crash or kill -9 plays up
 * to its last cluster). Network cameras (RTSP, HTTP) are recorded without re-encoding: the stream
 * is only depayloaded and parsed ({@link RECORDING_PARSE}: the depayloader keeps access units whole;
 * parsebin cut keyframes of several slices in two). Devices and files are decoded and encoded with x264
 * (gstreamer1.0-plugins-ugly), fast and low-latency.
 */
export function recordLaunchLine(source: string, out: string, rtspLatencyMs = 200): string {
  const sink = `matroskamux streamable=true ! filesink location=${gstQuote(out)}`;
  switch (inferSourceKind(source)) {
    case 'rtsp':
      return `rtspsrc location=${gstQuote(source)} latency=${rtspLatencyMs} protocols=tcp ! capsfilter caps="application/x-rtp,media=video" ! ${RECORDING_PARSE} ! queue ! ${sink}`;
    case 'http':
      return `souphttpsrc location=${gstQuote(source)} is-live=true do-timestamp=true ! ${RECORDING_PARSE} ! queue ! ${sink}`;
    case 'v4l2':
      return `v4l2src device=${gstQuote(source)} ! decodebin ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast ! h264parse ! queue ! ${sink}`;
    default:
      return `filesrc location=${gstQuote(source)} ! decodebin ! videoconvert ! x264enc speed-preset=ultrafast ! h264parse ! queue ! ${sink}`;
  }
}

/** What a recording did. */
export interface RecordingResult {
  readonly out: string;
  /** Wall time from start to the end of the file, s. */
  readonly seconds: number;
  /** Whether the source ended by itself (end of a file, a camera that closed the stream) before the duration. */
  readonly endedEarly: boolean;
}

/**
 * Records a camera (or any source) for `durationS` seconds into a Matroska file, for later tests
 * and replays (`edgevis record <url> --duration 60 --out f.mkv`). Stops with EOS so the file is
 * finished properly; a source that ends before is recorded to its end.
 * @throws Error naming the source (credentials masked) when GStreamer reports an error
 */
export async function recordCamera(
  source: string,
  out: string,
  durationS: number,
  rtspLatencyMs = 200,
): Promise<RecordingResult> {
  const gst = createRequire(import.meta.url)('gstreamer-superficial') as typeof GstModule;
  const pipeline = new gst.Pipeline(recordLaunchLine(source, out, rtspLatencyMs));
  pipeline['auto-flush-bus'] = false;
  const started = performance.now();
  let endedEarly = true;
  const done = new Promise<void>((resolve, reject) => {
    pipeline.pollBus((msg: BusMessage) => {
      if (msg.type === 'eos') resolve();
      else if (msg.type === 'error')
        reject(new Error(`recording ${redactSource(source)} failed: ${String(msg.message ?? 'GStreamer error')}`));
    });
  });
  pipeline.play();
  const timer = setTimeout(() => {
    endedEarly = false;
    pipeline.sendEOS();
  }, durationS * 1000);
  try {
    await done;
  } finally {
    clearTimeout(timer);
    pipeline.stop();
  }
  return { out, seconds: (performance.now() - started) / 1000, endedEarly };
}
