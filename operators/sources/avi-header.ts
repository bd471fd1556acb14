import { closeSync, openSync, readSync } from 'node:fs';

/**
 * The frame count an AVI file's main header states (`avih.dwTotalFrames`, Microsoft "AVI RIFF
 * File Reference"), or null when the file is not an AVI with a readable main header.
 *
 * Needed because GStreamer's avidemux re-scans a file whose index (`idx1`, at the end) is missing
 * and then reports the duration of what it found, so a truncated AVI looks complete.
 * Layout: `RIFF` size `AVI ` `LIST` size `hdrl` `avih` size, then MainAVIHeader, whose fifth
 * little-endian uint32 (byte 48 of the file) is dwTotalFrames.
 */
export function aviStatedFrames(path: string): number | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(52);
    if (readSync(fd, head, 0, 52, 0) < 52) return null;
    const tag = (at: number) => head.toString('latin1', at, at + 4);
    if (tag(0) !== 'RIFF' || tag(8) !== 'AVI ' || tag(12) !== 'LIST' || tag(20) !== 'hdrl' || tag(24) !== 'avih')
      return null;
    const frames = head.readUInt32LE(48);
    return frames > 0 ? frames : null;
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
