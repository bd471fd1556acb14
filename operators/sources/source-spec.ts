import { existsSync, statSync } from 'node:fs';

/** What a camera's `source` string points at. */
export type SourceKind = 'file' | 'rtsp' | 'v4l2' | 'frames';

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
}

/** What a source learns about its input while reading (for progress bars); filled in by the source. */
export interface SourceProgress {
  /** Frames the input will deliver (files: duration × frame rate, capped by maxFrames; folders: file count), null when unknown (live). */
  expectedFrames: number | null;
}

/** Infers the source kind from the string: rtsp(s):// URL, /dev/video*, a folder, else a file. */
export function inferSourceKind(source: string): SourceKind {
  if (/^rtsps?:\/\//i.test(source)) return 'rtsp';
  if (/^\/dev\/video\d+$/.test(source)) return 'v4l2';
  if (existsSync(source) && statSync(source).isDirectory()) return 'frames';
  return 'file';
}

/** Whether frames of this source arrive at their own pace (newest frame wins) rather than on demand. */
export function isLive(spec: Pick<SourceSpec, 'kind' | 'realtime'>): boolean {
  return spec.kind === 'rtsp' || spec.kind === 'v4l2' || spec.realtime;
}
