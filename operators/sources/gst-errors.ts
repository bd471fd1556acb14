import { RECORDING_ENCODER, RECORDING_PARSER, RECORDING_QUEUE, RECORDING_SINK } from './gst-launch.js';
import { SourceError } from './source-error.js';
import type { SourceSpec } from './source-spec.js';

/** Turns a GStreamer error message into a SourceError with a fix for the common causes. */
export function explainGstError(spec: SourceSpec, message: string, framesSoFar: number): SourceError {
  const after = framesSoFar > 0 ? ` after ${framesSoFar} frames` : '';
  if (spec.kind === 'http' && /not found|404/i.test(message)) {
    return new SourceError(
      'stream-not-found',
      spec.cameraId,
      spec.source,
      `HTTP stream not found (${message})`,
      'Check the path in the URL.',
    );
  }
  if (
    (spec.kind === 'rtsp' || spec.kind === 'http') &&
    /could not open resource|could not connect|connection refused|failed to connect|could not resolve|cannot connect/i.test(
      message,
    )
  ) {
    return new SourceError(
      'unreachable',
      spec.cameraId,
      spec.source,
      `${spec.kind === 'rtsp' ? 'RTSP' : 'HTTP'} server not reachable${after} (${message})`,
      `Check that the camera is on, the URL (host, port, path) and credentials are right, and that the network allows ${spec.kind === 'rtsp' ? 'RTSP over TCP' : 'HTTP'}.`,
    );
  }
  if (spec.kind === 'rtsp' && /not found|404/i.test(message)) {
    return new SourceError(
      'stream-not-found',
      spec.cameraId,
      spec.source,
      `RTSP stream path not found (${message})`,
      'Check the stream path in the URL.',
    );
  }
  if (
    /could not determine type|no suitable plugins|missing plugin|not negotiated|decode|stream error|demux/i.test(
      message,
    )
  ) {
    return new SourceError(
      'undecodable',
      spec.cameraId,
      spec.source,
      `cannot decode the input${after} (${message})`,
      'The input is corrupt or in a format without an installed decoder; check it plays with `gst-launch-1.0 playbin uri=file://<path>` and install gstreamer1.0-libav / plugins-good.',
    );
  }
  return new SourceError(
    'gstreamer',
    spec.cameraId,
    spec.source,
    `GStreamer error${after}: ${message}`,
    'Run with LOG_LEVEL=debug and GST_DEBUG=3 for details.',
  );
}

/** Whether an element path (`/GstPipeline:pipeline0/GstSplitMuxSink:recsegments/GstFileSink:sink`) is in the recording branch. */
export function isRecordingElement(path: string): boolean {
  const names = [RECORDING_SINK, RECORDING_QUEUE, RECORDING_ENCODER, RECORDING_PARSER];
  return path.split('/').some((part) => names.some((name) => part.endsWith(`:${name}`)));
}
