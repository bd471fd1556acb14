import { redactSecrets, redactSource } from './redact-secrets.js';

/**
 * Machine-readable cause of a source failure (as `ws` does with `WS_ERR_*`): retry decisions and
 * tests switch on it, never on message text.
 * - `not-found`: the file, folder or device does not exist;
 * - `permission-denied`: it exists but this user may not read it;
 * - `empty`: a frame folder without images;
 * - `unreachable`: no connection to the camera/server (refused, reset, timed out);
 * - `stream-not-found`: the server answered but has no such stream (RTSP 404);
 * - `undecodable`: the data cannot be demuxed or decoded (corrupt, or no decoder installed);
 * - `truncated`: a file ended long before the duration its header states (a warning, not an error);
 * - `unsupported-scheme`: a URL scheme edgevis cannot read (e.g. ftp://);
 * - `gstreamer`: any other GStreamer failure (pipeline construction, an unexpected sample);
 * - `recording-failed`: writing the camera's recording failed (an unwritable folder, a full disk):
 *   the connection is rebuilt without recording (retryable; the camera itself is fine).
 */
export type SourceErrorCode =
  | 'not-found'
  | 'permission-denied'
  | 'empty'
  | 'unreachable'
  | 'stream-not-found'
  | 'undecodable'
  | 'truncated'
  | 'unsupported-scheme'
  | 'gstreamer'
  | 'recording-failed';

export { redactSecrets, redactSource };

/** Raised when a source cannot be opened or fails while running; the message names the camera, the source (password redacted) and a fix. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  /** The source, its password redacted. */
  readonly source: string;
  constructor(
    readonly code: SourceErrorCode,
    readonly cameraId: string,
    source: string,
    problem: string,
    fix: string,
  ) {
    super(
      redactSecrets(
        `camera '${cameraId}' source ${redactSource(source)}: ${problem.split(source).join(redactSource(source))}. ${fix}`,
      ),
    );
    this.source = redactSource(source);
  }
}

/** Codes that no retry can fix: the configuration or the machine must change first. */
const PERMANENT_CODES: ReadonlySet<SourceErrorCode> = new Set(['permission-denied', 'unsupported-scheme']);

/**
 * Whether a failed live source is worth reconnecting: every failure except the permanent codes
 * (an error that is not a SourceError is unexpected and treated as transient).
 */
export function isRetryableSourceError(err: unknown): boolean {
  return !(err instanceof SourceError && PERMANENT_CODES.has(err.code));
}
