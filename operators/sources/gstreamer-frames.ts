import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type GstModule from 'gstreamer-superficial';
import type { AppSink, BusMessage, SampleCaps } from 'gstreamer-superficial';
import { Observable, type Subscriber } from 'rxjs';
import type { Frame } from '../../models/frame.js';
import { rgbByteLength } from '../../models/frame.js';
import type { FrameCredit } from '../backpressure/frame-credit.js';
import { aviStatedFrames } from './avi-header.js';
import { FrameBufferPool } from './frame-buffer-pool.js';
import { explainGstError, isRecordingElement } from './gst-errors.js';
import { APPSINK_NAME, gstLaunchLine } from './gst-launch.js';
import { nextFrameTiming, parseFramerate } from './source-continuity.js';
import { SourceError } from './source-error.js';
import { isLive, schemeOf, type SourceProgress, type SourceSpec } from './source-spec.js';

/**
 * The GStreamer binding, loaded on first use (its main is the native addon, which only require()
 * can load): a process that reads only frame folders or frames from memory (the GPU check on a
 * machine without GStreamer) never needs it.
 */
let gstreamer: typeof GstModule | undefined;
const loadGstreamer = (): typeof GstModule =>
  (gstreamer ??= createRequire(import.meta.url)('gstreamer-superficial') as typeof GstModule);

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
    if (problem) {
      subscriber.error(problem);
      return undefined;
    }
    const built = buildPipeline(spec);
    if (built instanceof SourceError) {
      subscriber.error(built);
      return undefined;
    }
    const connection = new GstreamerConnection(spec, built, subscriber, credit, progress);
    connection.start();
    return () => connection.unsubscribe();
  });
}

/**
 * Builds the camera's GStreamer pipeline, or the error that says why it could not be: the binding
 * missing, or an element missing (a recording branch that cannot be built is the recording's
 * failure: the recorder is told, and the camera is rebuilt without it).
 */
function buildPipeline(spec: SourceSpec): InstanceType<typeof GstModule.Pipeline> | SourceError {
  try {
    return new (loadGstreamer().Pipeline)(gstLaunchLine(spec));
  } catch (err) {
    const bindingMissing = gstreamer === undefined;
    if (spec.recording && !bindingMissing) {
      // Most likely the recording branch (x264enc for a USB camera is in plugins-ugly): the camera
      // is rebuilt without recording, which the recorder retries later.
      const why = `the recording branch could not be built (${(err as Error).message}): install gstreamer1.0-plugins-ugly (x264enc) and gstreamer1.0-plugins-bad (h264parse)`;
      spec.recording.onError(why);
      return new SourceError(
        'recording-failed',
        spec.cameraId,
        spec.source,
        `recording failed (${why})`,
        'The camera goes on without recording meanwhile.',
      );
    }
    return new SourceError(
      'gstreamer',
      spec.cameraId,
      spec.source,
      bindingMissing
        ? `the GStreamer binding did not load (${(err as Error).message.split('\n')[0]})`
        : `GStreamer could not build the pipeline (${(err as Error).message})`,
      bindingMissing
        ? "Run ./setup.sh: it installs GStreamer's development packages and builds the binding (gstreamer-superficial)."
        : 'Check that the GStreamer plugins are installed (gstreamer1.0-plugins-base/good, gstreamer1.0-libav).',
    );
  }
}

/**
 * One subscription's pipeline: pulls a frame whenever the graph has credit, turns each sample
 * into a {@link Frame}, watches the bus, and stops (EOS drained, or at once for a file).
 */
class GstreamerConnection {
  private readonly sink: AppSink;
  private readonly live: boolean;
  private closed = false;
  private stopped = false;
  /** Frames delivered so far. */
  private delivered = 0;
  private lastIndex = -1;
  private firstIndex = -1;
  private holdingCredit = false;
  private pullIssuedAt = 0;
  /** Frames are pulled into buffers the graph gave back (recycleFramePixels, after the tracker). */
  private readonly pool: FrameBufferPool;
  private target: Uint8Array | undefined;
  /**
   * A live stream that declares no frame rate (RTP/JPEG says 0/1): its rate measured from the
   * samples reaching the appsink (dropped ones included), once 3 s of them were seen.
   */
  private rateFrom: { at: number; samples: number } | null = null;
  private drainTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly spec: SourceSpec,
    private readonly pipeline: InstanceType<typeof GstModule.Pipeline>,
    private readonly subscriber: Subscriber<Frame>,
    private readonly credit?: FrameCredit,
    private readonly progress?: SourceProgress,
  ) {
    this.sink = pipeline.findChild(APPSINK_NAME) as AppSink;
    this.live = isLive(spec);
    this.pool = new FrameBufferPool((credit?.capacity ?? 1) + 1);
  }

  start(): void {
    // Keep the messages posted while the pipeline goes to NULL (the destructor flushes the bus): the
    // binding's bus poller, woken by each message without holding a thread, ends after the one that
    // finds the pipeline back in NULL.
    this.pipeline['auto-flush-bus'] = false;
    this.pipeline.pollBus((msg: BusMessage) => this.onBusMessage(msg));
    this.pipeline.play();
    void this.pullNext();
  }

  unsubscribe(): void {
    this.closed = true;
    this.pool.close();
    if (this.progress) this.progress.waitingSince = null;
    // A credit taken for a pull that never delivered goes back, or the next connection of a live camera would wait forever.
    this.releaseHeldCredit();
    if (this.stopped) return;
    // A file has no session to close, and its streaming thread may be blocked on a full appsink or
    // waiting on the clock (realtime), where EOS would not get through: stop at once.
    if (this.spec.kind === 'file') {
      this.stopPipeline();
      return;
    }
    // Drain with EOS so decoders and the RTSP session close cleanly, then stop; force after a timeout.
    this.pipeline.sendEOS();
    // Not unref'd: the pipeline must reach NULL even when nothing else keeps the process alive.
    this.drainTimer = setTimeout(() => this.stopPipeline(), EOS_DRAIN_TIMEOUT_MS);
  }

  private onBusMessage(msg: BusMessage): void {
    const rec = this.spec.recording;
    if (
      rec &&
      msg.type === 'element' &&
      typeof msg.name === 'string' &&
      msg.name.startsWith('splitmuxsink-fragment-')
    ) {
      rec.onFragment(
        msg.name.endsWith('opened') ? 'opened' : 'closed',
        String(msg.location),
        Number(msg['running-time']) / 1e6,
      );
      return;
    }
    if (rec && msg.type === 'error' && !this.closed && isRecordingElement(String(msg.name ?? ''))) {
      // The recording branch failed; with a tee the decoding stops with it, so the connection is
      // rebuilt, without recording until the recorder retries.
      this.stopPipeline();
      rec.onError(String(msg.message ?? 'unknown error'));
      this.finish(
        new SourceError(
          'recording-failed',
          this.spec.cameraId,
          this.spec.source,
          `recording failed (${String(msg.message ?? 'unknown error')})`,
          'Check the recordings folder: free space, permissions (the camera goes on without recording meanwhile).',
        ),
      );
      return;
    }
    if (msg.type === 'error' && !this.closed) {
      this.stopPipeline();
      this.finish(explainGstError(this.spec, String(msg.message ?? 'unknown error'), this.delivered));
    } else if (this.closed && (msg.type === 'eos' || msg.type === 'error')) {
      this.stopPipeline(); // unsubscribed and drained
    }
    // On 'eos' while running nothing is done here: the appsink may still hold decoded frames
    // (the bus message can overtake them), and pull() returns null only once they were all handed over.
  }

  private async pullNext(): Promise<void> {
    if (this.credit) await this.credit.acquire();
    if (this.closed || this.stopped) {
      this.credit?.release();
      return;
    }
    this.holdingCredit = this.credit !== undefined;
    this.pullIssuedAt = performance.now();
    if (this.progress) this.progress.waitingSince = this.pullIssuedAt;
    this.target = this.pool.take();
    this.sink.pull((buf, caps) => this.onSample(buf, caps), this.target, 'RGB'); // packed RGB, converted on a libuv thread into the target
  }

  private onSample(buf: Uint8Array | null, caps: SampleCaps): void {
    // A target the frame did not fit (another size, end of stream) goes back to the pool.
    if (this.target && buf !== this.target) this.pool.giveBack(this.target.buffer as ArrayBuffer);
    this.target = undefined;
    if (this.closed) {
      this.releaseHeldCredit();
      return;
    }
    if (!buf) {
      // end of stream, after every queued frame was pulled (or flushing after stop)
      this.stopPipeline();
      warnIfEndedEarly(this.spec, this.lastIndex + 1, this.progress);
      this.finish();
      return;
    }
    const width = Number(caps.width),
      height = Number(caps.height);
    if (!(width > 0 && height > 0) || buf.length !== rgbByteLength(width, height)) {
      this.stopPipeline();
      this.finish(
        new SourceError(
          'gstreamer',
          this.spec.cameraId,
          this.spec.source,
          `unexpected sample ${width}x${height} with ${buf.length} bytes`,
          'Report this with the output of gst-discoverer-1.0 on the source.',
        ),
      );
      return;
    }
    const fps = parseFramerate(caps.framerate);
    this.learnAboutSource(fps, caps);
    // A live frame's own timestamp: the pipeline's position when it is pulled can already be a frame
    // or more later (a slower model pulls later), which shifted paced files' frame indices by one.
    const { index, ptsMs } = nextFrameTiming(
      { timedByStream: this.live || fps === null, fps, onFrameGrid: this.spec.kind === 'file' },
      this.delivered,
      this.lastIndex,
      () => (typeof caps.ptsMs === 'number' ? caps.ptsMs / 1000 : this.pipeline.queryPosition()),
    );
    this.deliver(buf, width, height, fps, index, ptsMs);
    if (this.reachedMaxFrames(index)) {
      this.stopPipeline();
      this.finish();
      return;
    }
    void this.pullNext();
  }

  /** What the first samples tell about the source: its frame rate (declared, or measured), a file's stated length. */
  private learnAboutSource(fps: number | null, caps: SampleCaps): void {
    const progress = this.progress;
    if (!progress) return;
    if (fps) progress.frameRate = fps;
    else if (this.live) this.measureArrivalRate(caps.samplesSeen);
    if (this.delivered === 0 && this.spec.kind === 'file' && fps) {
      // The container's stated length: the duration, or for an AVI its header's frame count (avidemux
      // reports only what it found when the index is missing, so a truncated AVI would look complete).
      const seconds = this.pipeline.queryDuration();
      const stated = Math.max(seconds > 0 ? Math.round(seconds * fps) : 0, aviStatedFrames(this.spec.source) ?? 0);
      if (stated > 0) progress.expectedFrames = Math.min(stated, this.spec.maxFrames ?? Infinity);
    }
  }

  private measureArrivalRate(samplesSeen: number | undefined): void {
    if (samplesSeen === undefined || !this.progress) return;
    const now = performance.now();
    if (!this.rateFrom) {
      this.rateFrom = { at: now, samples: samplesSeen };
      return;
    }
    const seconds = (now - this.rateFrom.at) / 1000;
    if (seconds >= 3) this.progress.frameRate = Math.round(((samplesSeen - this.rateFrom.samples) / seconds) * 10) / 10;
  }

  private deliver(
    buf: Uint8Array,
    width: number,
    height: number,
    fps: number | null,
    index: number,
    ptsMs: number,
  ): void {
    this.lastIndex = index;
    this.delivered++;
    if (this.firstIndex < 0) this.firstIndex = index;
    const now = performance.now();
    if (this.progress) this.progress.waitingSince = null;
    this.holdingCredit = false; // the frame carries the credit downstream now
    this.pool.adopt(buf);
    this.subscriber.next({
      cameraId: this.spec.cameraId,
      frameIndex: index,
      ptsMs,
      width,
      height,
      ...(fps ? { frameIntervalMs: 1000 / fps } : {}),
      rgb: buf,
      timing: { receivedAt: now, sourceWaitMs: now - this.pullIssuedAt },
    });
  }

  /**
   * maxFrames counts frames of the media since the first one: delivered ones for a file read in full,
   * the span of indices for a paced or live source (frames dropped in its appsink count too).
   */
  private reachedMaxFrames(index: number): boolean {
    const { maxFrames } = this.spec;
    return maxFrames !== undefined && (this.live ? index - this.firstIndex + 1 : this.delivered) >= maxFrames;
  }

  private releaseHeldCredit(): void {
    if (this.holdingCredit) {
      this.holdingCredit = false;
      this.credit?.release();
    }
  }

  private stopPipeline(): void {
    clearTimeout(this.drainTimer);
    if (!this.stopped) {
      this.stopped = true;
      this.pipeline.stop();
    }
  }

  private finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.close();
    this.releaseHeldCredit();
    if (err) this.subscriber.error(err);
    else this.subscriber.complete();
  }
}

/**
 * A file that ends long before the frame count its header states (duration × frame rate) is
 * truncated or damaged; GStreamer just ends the stream, so say so (below 95 % of the stated frames).
 * @param reached frames up to the last one delivered (last frame index + 1)
 */
function warnIfEndedEarly(spec: SourceSpec, reached: number, progress?: SourceProgress): void {
  const expected = progress?.expectedFrames;
  if (spec.kind !== 'file' || !expected || reached >= expected * 0.95 - 1) return;
  progress.onWarning?.(
    new SourceError(
      'truncated',
      spec.cameraId,
      spec.source,
      `the file ended after ${reached} of the ${expected} frames its header states (${Math.round((100 * reached) / expected)} %): it is truncated or damaged`,
      'Check the file (a copy that did not finish, a recording cut off by a crash); remux it with `ffmpeg -i in -c copy out` if the header is wrong.',
    ),
  );
}

/** Checks what GStreamer would otherwise report badly or not at all (a missing v4l2 device's error is lost; an ftp:// URL looks like a missing file). */
function preflight(spec: SourceSpec): SourceError | null {
  const scheme = schemeOf(spec.source);
  if (spec.kind === 'file' && scheme !== null && scheme !== 'file') {
    return new SourceError(
      'unsupported-scheme',
      spec.cameraId,
      spec.source,
      `the URL scheme '${scheme}' is not supported`,
      'Use rtsp://, rtsps://, http(s):// (e.g. an MJPEG IP camera), a file path, /dev/videoN or a frame folder.',
    );
  }
  if ((spec.kind === 'file' || spec.kind === 'v4l2') && !existsSync(spec.source)) {
    return spec.kind === 'file'
      ? new SourceError(
          'not-found',
          spec.cameraId,
          spec.source,
          'file does not exist',
          'Check the path (relative paths in a config file are relative to that file).',
        )
      : new SourceError(
          'not-found',
          spec.cameraId,
          spec.source,
          'video device does not exist',
          'Check that the camera is plugged in (`ls /dev/video*`) and that this user may read it (group video).',
        );
  }
  return null;
}
