import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type GstModule from 'gstreamer-superficial';
import type { AppSink, BusMessage, SampleCaps } from 'gstreamer-superficial';
import { Observable } from 'rxjs';
import type { Frame } from '../../models/frame.js';
import { rgbByteLength } from '../../models/frame.js';
import type { FrameCredit } from '../backpressure/frame-credit.js';
import { aviStatedFrames } from './avi-header.js';
import { FrameBufferPool } from './frame-buffer-pool.js';
import { APPSINK_NAME, gstLaunchLine, RECORDING_ENCODER, RECORDING_PARSER, RECORDING_QUEUE, RECORDING_SINK } from './gst-launch.js';
import { SourceError } from './source-error.js';
import { isLive, schemeOf, type SourceProgress, type SourceSpec } from './source-spec.js';

/**
 * The GStreamer binding, loaded on first use (its main is the native addon, which only require()
 * can load): a process that reads only frame folders or frames from memory (the GPU check on a
 * machine without GStreamer) never needs it.
 */
let gstreamer: typeof GstModule | undefined;
const loadGstreamer = (): typeof GstModule => (gstreamer ??= createRequire(import.meta.url)('gstreamer-superficial') as typeof GstModule);

/** How long to wait for EOS to drain after `sendEOS()` before forcing the pipeline to NULL, ms. */
const EOS_DRAIN_TIMEOUT_MS = 2000;

/**
 * Frames of a file, RTSP URL or v4l2 device, decoded by GStreamer (the I/O edge of the graph).
 *
 * Emits one {@link Frame} per decoded picture, completes at end of stream or `maxFrames`,
 * errors with a {@link SourceError} naming the camera, the source and a fix. Unsubscribing
 * sends EOS and stops the pipeline once it drained (a new subscription builds a new pipeline:
 * replaying `play()` on decodebin/rtspsrc hangs).
 *
 * Timestamps: files use frameIndex / fps from the caps (deterministic); live sources use the
 * pipeline position (media running time), and their frame index follows from it, so frames
 * dropped by the leaky appsink leave gaps in the index.
 *
 * @param credit when given, a frame is pulled only after a credit is acquired: files lose nothing and
 *   queue nothing; a live source's 1-frame leaky appsink keeps only the newest frame meanwhile, so
 *   frames the model cannot take are dropped natively (never copied into JS), and each pull returns
 *   the newest one. A frame's `timing.sourceWaitMs` is how long its pull waited for the source.
 * @param progress receives the expected frame count of a file once its first frame is decoded
 */
export function gstreamerFrames(spec: SourceSpec, credit?: FrameCredit, progress?: SourceProgress): Observable<Frame> {
  return new Observable<Frame>((subscriber) => {
    const problem = preflight(spec);
    if (problem) { subscriber.error(problem); return undefined; }
    const live = isLive(spec);
    let pipeline: InstanceType<typeof GstModule.Pipeline>;
    try {
      pipeline = new (loadGstreamer().Pipeline)(gstLaunchLine(spec));
    } catch (err) {
      const bindingMissing = gstreamer === undefined;
      if (spec.recording && !bindingMissing) {
        // Most likely the recording branch (x264enc for a USB camera is in plugins-ugly): the camera
        // is rebuilt without recording, which the recorder retries later.
        const why = `the recording branch could not be built (${(err as Error).message}): install gstreamer1.0-plugins-ugly (x264enc) and gstreamer1.0-plugins-bad (h264parse)`;
        spec.recording.onError(why);
        subscriber.error(new SourceError('recording-failed', spec.cameraId, spec.source, `recording failed (${why})`, 'The camera goes on without recording meanwhile.'));
        return undefined;
      }
      subscriber.error(new SourceError('gstreamer', spec.cameraId, spec.source, bindingMissing
        ? `the GStreamer binding did not load (${(err as Error).message.split('\n')[0]})`
        : `GStreamer could not build the pipeline (${(err as Error).message})`,
      bindingMissing
        ? 'Run ./setup.sh: it installs GStreamer\'s development packages and builds the binding (gstreamer-superficial).'
        : 'Check that the GStreamer plugins are installed (gstreamer1.0-plugins-base/good, gstreamer1.0-libav).'));
      return undefined;
    }
    const sink = pipeline.findChild(APPSINK_NAME) as AppSink;
    let closed = false;
    let stopped = false;
    let frameIndex = 0;
    let lastIndex = -1;
    let firstIndex = -1;
    let holdingCredit = false;
    let pullIssuedAt = 0;
    // Frames are pulled into buffers the graph gave back (recycleFramePixels, after the embedder).
    const pool = new FrameBufferPool((credit?.capacity ?? 1) + 1);
    let target: Uint8Array | undefined;
    // A live stream that declares no frame rate (RTP/JPEG says 0/1): its rate measured from the
    // samples reaching the appsink (dropped ones included), once 3 s of them were seen.
    let rateFrom: { at: number; samples: number } | null = null;
    const measureArrivalRate = (samplesSeen: number | undefined) => {
      if (samplesSeen === undefined || !progress) return;
      const now = performance.now();
      if (!rateFrom) { rateFrom = { at: now, samples: samplesSeen }; return; }
      const seconds = (now - rateFrom.at) / 1000;
      if (seconds >= 3) progress.frameRate = Math.round(((samplesSeen - rateFrom.samples) / seconds) * 10) / 10;
    };
    const releaseHeldCredit = () => { if (holdingCredit) { holdingCredit = false; credit?.release(); } };

    const finish = (err?: Error) => {
      if (closed) return;
      closed = true;
      pool.close();
      releaseHeldCredit();
      if (err) subscriber.error(err); else subscriber.complete();
    };

    // Keep the messages posted while the pipeline goes to NULL (the destructor flushes the bus): the
    // binding's bus poller, woken by each message without holding a thread, ends after the one that
    // finds the pipeline back in NULL.
    pipeline['auto-flush-bus'] = false;
    let drainTimer: NodeJS.Timeout | undefined;
    const stopPipeline = () => { clearTimeout(drainTimer); if (!stopped) { stopped = true; pipeline.stop(); } };
    // One poller per pipeline; it ends once the pipeline is back in NULL.
    pipeline.pollBus((msg: BusMessage) => {
      const rec = spec.recording;
      if (rec && msg.type === 'element' && typeof msg.name === 'string' && msg.name.startsWith('splitmuxsink-fragment-')) {
        rec.onFragment(msg.name.endsWith('opened') ? 'opened' : 'closed', String(msg.location), Number(msg['running-time']) / 1e6);
        return;
      }
      if (rec && msg.type === 'error' && !closed && isRecordingElement(String(msg.name ?? ''))) {
        // The recording branch failed; with a tee the decoding stops with it, so the connection is
        // rebuilt, without recording until the recorder retries.
        stopPipeline();
        rec.onError(String(msg.message ?? 'unknown error'));
        finish(new SourceError('recording-failed', spec.cameraId, spec.source, `recording failed (${String(msg.message ?? 'unknown error')})`, 'Check the recordings folder: free space, permissions (the camera goes on without recording meanwhile).'));
        return;
      }
      if (msg.type === 'error' && !closed) {
        stopPipeline();
        finish(explainGstError(spec, String(msg.message ?? 'unknown error'), frameIndex));
      } else if (closed && (msg.type === 'eos' || msg.type === 'error')) {
        stopPipeline(); // unsubscribed and drained
      }
      // On 'eos' while running nothing is done here: the appsink may still hold decoded frames
      // (the bus message can overtake them), and pull() returns null only once they were all handed over.
    });

    const onSample = (buf: Uint8Array | null, caps: SampleCaps) => {
      // A target the frame did not fit (another size, end of stream) goes back to the pool.
      if (target && buf !== target) pool.giveBack(target.buffer as ArrayBuffer);
      target = undefined;
      if (closed) { releaseHeldCredit(); return; }
      if (!buf) { // end of stream, after every queued frame was pulled (or flushing after stop)
        stopPipeline();
        warnIfEndedEarly(spec, lastIndex + 1, progress);
        finish();
        return;
      }
      const width = Number(caps.width), height = Number(caps.height);
      if (!(width > 0 && height > 0) || buf.length !== rgbByteLength(width, height)) {
        stopPipeline();
        finish(new SourceError('gstreamer', spec.cameraId, spec.source, `unexpected sample ${width}x${height} with ${buf.length} bytes`, 'Report this with the output of gst-discoverer-1.0 on the source.'));
        return;
      }
      const fps = parseFramerate(caps.framerate);
      if (progress && fps) progress.frameRate = fps;
      else if (progress && live) measureArrivalRate(caps.samplesSeen);
      if (frameIndex === 0 && progress && spec.kind === 'file' && fps) {
        // The container's stated length: the duration, or for an AVI its header's frame count (avidemux
        // reports only what it found when the index is missing, so a truncated AVI would look complete).
        const seconds = pipeline.queryDuration();
        const stated = Math.max(seconds > 0 ? Math.round(seconds * fps) : 0, aviStatedFrames(spec.source) ?? 0);
        if (stated > 0) progress.expectedFrames = Math.min(stated, spec.maxFrames ?? Infinity);
      }
      let ptsMs: number;
      let index: number;
      if (live || fps === null) {
        // The frame's own timestamp; the pipeline's position when it is pulled can already be a frame
        // or more later (a slower model pulls later), which shifted paced files' frame indices by one.
        const position = typeof caps.ptsMs === 'number' ? caps.ptsMs / 1000 : pipeline.queryPosition();
        ptsMs = position >= 0 ? Math.round(position * 1e6) / 1e3 : (fps ? (frameIndex * 1000) / fps : frameIndex);
        index = fps ? Math.max(lastIndex + 1, Math.round((ptsMs * fps) / 1000)) : lastIndex + 1;
        // A paced file keeps media time on its frame grid, so frame n has the same time as in a full-speed replay.
        if (spec.kind === 'file' && fps) ptsMs = Math.round((index * 1e6) / fps) / 1e3;
      } else {
        index = frameIndex;
        ptsMs = Math.round((index * 1e6) / fps) / 1e3;
      }
      lastIndex = index;
      frameIndex++;
      const now = performance.now();
      if (progress) progress.waitingSince = null;
      holdingCredit = false; // the frame carries the credit downstream now
      pool.adopt(buf);
      subscriber.next({ cameraId: spec.cameraId, frameIndex: index, ptsMs, width, height, ...(fps ? { frameIntervalMs: 1000 / fps } : {}), rgb: buf, timing: { receivedAt: now, sourceWaitMs: now - pullIssuedAt } });
      // maxFrames counts frames of the media since the first one: delivered ones for a file read in full,
      // the span of indices for a paced or live source (frames dropped in its appsink count too).
      if (firstIndex < 0) firstIndex = index;
      if (spec.maxFrames !== undefined && (live ? index - firstIndex + 1 : frameIndex) >= spec.maxFrames) {
        stopPipeline();
        finish();
        return;
      }
      void pullNext();
    };

    const pullNext = async () => {
      if (credit) await credit.acquire();
      if (closed || stopped) { credit?.release(); return; }
      holdingCredit = credit !== undefined;
      pullIssuedAt = performance.now();
      if (progress) progress.waitingSince = pullIssuedAt;
      target = pool.take();
      sink.pull(onSample, target, 'RGB'); // packed RGB, converted on a libuv thread into the target
    };

    pipeline.play();
    void pullNext();

    return () => {
      closed = true;
      pool.close();
      if (progress) progress.waitingSince = null;
      // A credit taken for a pull that never delivered goes back, or the next connection of a live camera would wait forever.
      releaseHeldCredit();
      if (stopped) return;
      // A file has no session to close, and its streaming thread may be blocked on a full appsink or
      // waiting on the clock (realtime), where EOS would not get through: stop at once.
      if (spec.kind === 'file') { stopPipeline(); return; }
      // Drain with EOS so decoders and the RTSP session close cleanly, then stop; force after a timeout.
      pipeline.sendEOS();
      // Not unref'd: the pipeline must reach NULL even when nothing else keeps the process alive.
      drainTimer = setTimeout(stopPipeline, EOS_DRAIN_TIMEOUT_MS);
    };
  });
}

/**
 * A file that ends long before the frame count its header states (duration × frame rate) is
 * truncated or damaged; GStreamer just ends the stream, so say so (below 95 % of the stated frames).
 * @param reached frames up to the last one delivered (last frame index + 1)
 */
function warnIfEndedEarly(spec: SourceSpec, reached: number, progress?: SourceProgress): void {
  const expected = progress?.expectedFrames;
  if (spec.kind !== 'file' || !expected || reached >= expected * 0.95 - 1) return;
  progress.onWarning?.(new SourceError('truncated', spec.cameraId, spec.source,
    `the file ended after ${reached} of the ${expected} frames its header states (${Math.round((100 * reached) / expected)} %): it is truncated or damaged`,
    'Check the file (a copy that did not finish, a recording cut off by a crash); remux it with `ffmpeg -i in -c copy out` if the header is wrong.'));
}

/** Checks what GStreamer would otherwise report badly or not at all (a missing v4l2 device's error is lost; an ftp:// URL looks like a missing file). */
function preflight(spec: SourceSpec): SourceError | null {
  const scheme = schemeOf(spec.source);
  if (spec.kind === 'file' && scheme !== null && scheme !== 'file') {
    return new SourceError('unsupported-scheme', spec.cameraId, spec.source, `the URL scheme '${scheme}' is not supported`,
      'Use rtsp://, rtsps://, http(s):// (e.g. an MJPEG IP camera), a file path, /dev/videoN or a frame folder.');
  }
  if ((spec.kind === 'file' || spec.kind === 'v4l2') && !existsSync(spec.source)) {
    return spec.kind === 'file'
      ? new SourceError('not-found', spec.cameraId, spec.source, 'file does not exist', 'Check the path (relative paths in a config file are relative to that file).')
      : new SourceError('not-found', spec.cameraId, spec.source, 'video device does not exist', 'Check that the camera is plugged in (`ls /dev/video*`) and that this user may read it (group video).');
  }
  return null;
}

/** Turns a GStreamer error message into a SourceError with a fix for the common causes. */
export function explainGstError(spec: SourceSpec, message: string, framesSoFar: number): SourceError {
  const after = framesSoFar > 0 ? ` after ${framesSoFar} frames` : '';
  if (spec.kind === 'http' && /not found|404/i.test(message)) {
    return new SourceError('stream-not-found', spec.cameraId, spec.source, `HTTP stream not found (${message})`, 'Check the path in the URL.');
  }
  if ((spec.kind === 'rtsp' || spec.kind === 'http') && /could not open resource|could not connect|connection refused|failed to connect|could not resolve|cannot connect/i.test(message)) {
    return new SourceError('unreachable', spec.cameraId, spec.source, `${spec.kind === 'rtsp' ? 'RTSP' : 'HTTP'} server not reachable${after} (${message})`, `Check that the camera is on, the URL (host, port, path) and credentials are right, and that the network allows ${spec.kind === 'rtsp' ? 'RTSP over TCP' : 'HTTP'}.`);
  }
  if (spec.kind === 'rtsp' && /not found|404/i.test(message)) {
    return new SourceError('stream-not-found', spec.cameraId, spec.source, `RTSP stream path not found (${message})`, 'Check the stream path in the URL.');
  }
  if (/could not determine type|no suitable plugins|missing plugin|not negotiated|decode|stream error|demux/i.test(message)) {
    return new SourceError('undecodable', spec.cameraId, spec.source, `cannot decode the input${after} (${message})`, 'The input is corrupt or in a format without an installed decoder; check it plays with `gst-launch-1.0 playbin uri=file://<path>` and install gstreamer1.0-libav / plugins-good.');
  }
  return new SourceError('gstreamer', spec.cameraId, spec.source, `GStreamer error${after}: ${message}`, 'Run with LOG_LEVEL=debug and GST_DEBUG=3 for details.');
}

/** Parses a GStreamer fraction such as "10/1"; null for 0/1 (variable) or missing. */
export function parseFramerate(text: string | undefined): number | null {
  const m = typeof text === 'string' ? text.match(/^(\d+)\/(\d+)$/) : null;
  if (!m) return null;
  const num = Number(m[1]), den = Number(m[2]);
  return num > 0 && den > 0 ? num / den : null;
}

/** Whether an element path (`/GstPipeline:pipeline0/GstSplitMuxSink:recsegments/GstFileSink:sink`) is in the recording branch. */
function isRecordingElement(path: string): boolean {
  const names = [RECORDING_SINK, RECORDING_QUEUE, RECORDING_ENCODER, RECORDING_PARSER];
  return path.split('/').some((part) => names.some((name) => part.endsWith(`:${name}`)));
}
