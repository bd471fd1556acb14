import { existsSync, statSync } from 'node:fs';
import type { SourceError } from './source-error.js';

/** What a camera's `source` string points at. */
export type SourceKind = 'file' | 'rtsp' | 'http' | 'v4l2' | 'frames';

/** A camera's input, resolved: kind plus the string as given. */
export interface SourceSpec {
  readonly cameraId: string;
  readonly kind: SourceKind;
  readonly source: string;
  /** Pace files/folders by media time and drop frames like a live camera. */
  readonly realtime: boolean;
  /** Stop after this many frames (undefined = all). */
  readonly maxFrames?: number;
  /** Frame rate of frame folders, fps. */
  readonly folderFps: number;
  /** rtspsrc latency, ms. */
  readonly rtspLatencyMs: number;
  /** Record the camera's encoded stream beside the decoding (one connection, a `tee` before the decoder); absent = no recording. */
  readonly recording?: RecordingTarget;
}

/** Where and how a connection records the camera's stream in segments (see pipeline/media/). */
export interface RecordingTarget {
  /** Segment file pattern with one printf integer for the segment number, e.g. `/rec/gate/gate-%06d.mkv`. */
  readonly location: string;
  /** Number of this connection's first segment (the numbers continue across reconnects). */
  readonly startIndex: number;
  /** A new segment starts at the first keyframe after this long, ms. */
  readonly segmentMs: number;
  /** A segment was opened or finished (`runningTimeMs`: the pipeline's running time then, ms). */
  onFragment(kind: 'opened' | 'closed', file: string, runningTimeMs: number): void;
  /** Writing failed (an unwritable folder, a full disk): the connection is rebuilt without recording, which retries later. */
  onError(reason: string): void;
}

/** What a source learns about its input while reading (for progress bars); filled in by the source. */
export interface SourceProgress {
  /** Frames the input will deliver (files: duration × frame rate, capped by maxFrames; folders: file count), null when unknown (live). */
  expectedFrames: number | null;
  /** Frames the source could not decode and skipped (a corrupt image in a frame folder); their indices stay unused. */
  corruptFrames: number;
  /**
   * The source's frame rate, frames per second: declared by its caps once its first frame came, or,
   * for a live stream that declares none, measured from the frames arriving (after 3 s); absent before.
   */
  frameRate?: number;
  /** Since when (performance.now(), ms) a pull waits for the source's next frame; null while none waits (the consumer is busy). */
  waitingSince?: number | null;
  /**
   * Told about a problem that does not stop the source (a corrupt frame skipped, a file that ended
   * long before its stated duration), with a code (`undecodable`, `truncated`) and a message naming the input.
   */
  onWarning?: (warning: SourceError) => void;
}

/** The URL scheme of a source string (`rtsp`, `http`, …), or null for a path. */
export function schemeOf(source: string): string | null {
  return source.match(/^([a-z][a-z0-9+.-]*):\/\//i)?.[1].toLowerCase() ?? null;
}

/** Infers the source kind from the string: rtsp(s):// or http(s):// URL, /dev/video*, a folder, else a file (an unknown scheme is reported by the source). */
export function inferSourceKind(source: string): SourceKind {
  const scheme = schemeOf(source);
  if (scheme === 'rtsp' || scheme === 'rtsps') return 'rtsp';
  if (scheme === 'http' || scheme === 'https') return 'http';
  if (/^\/dev\/video\d+$/.test(source)) return 'v4l2';
  if (existsSync(source) && statSync(source).isDirectory()) return 'frames';
  return 'file';
}

/** Whether frames of this source arrive at their own pace (newest frame wins) rather than on demand. */
export function isLive(spec: Pick<SourceSpec, 'kind' | 'realtime'>): boolean {
  return isCamera(spec) || spec.realtime;
}

/** Whether the source is a camera (network or device) that can drop and come back, rather than a recording. */
export function isCamera(spec: Pick<SourceSpec, 'kind'>): boolean {
  return spec.kind === 'rtsp' || spec.kind === 'http' || spec.kind === 'v4l2';
}
