import { resolve } from 'node:path';
import { recordCamera } from '../media/record-camera.js';

/** Flags of `edgevis record`. */
export interface RecordFlags {
  /** The .mkv file to write. */
  readonly out: string;
  /** How long to record, s. */
  readonly duration: number;
}

/**
 * `edgevis record SOURCE --out FILE`: records a camera (RTSP/HTTP as it is, a device or file
 * encoded with x264) into one Matroska file, for tests and replays.
 * @returns the exit code: 0, or 1 with the error on stderr
 */
export async function recordCommand(source: string, flags: RecordFlags): Promise<number> {
  try {
    const r = await recordCamera(source, resolve(flags.out), flags.duration);
    process.stdout.write(
      `recorded ${r.seconds.toFixed(1)} s${r.endedEarly ? ' (the source ended first)' : ''} into ${r.out}\n  replay it: edgevis replay ${r.out}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`edgevis: ${(err as Error).message}\n`);
    return 1;
  }
}
