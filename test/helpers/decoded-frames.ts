import { execFileSync } from 'node:child_process';

/**
 * Frames an H.264 file decodes to, from its start to its end, counted by GStreamer itself
 * (`gst-launch-1.0 -v … ! fakesink silent=false`: one `chain` line per frame).
 * @param container `mkv` (recording segments) or `mp4` (event clips)
 * @throws Error when the file does not decode to its end (gst-launch fails) or takes over 60 s
 */
export function decodedFrames(file: string, container: 'mkv' | 'mp4' = 'mkv'): number {
  const demux = container === 'mkv' ? 'matroskademux' : 'qtdemux';
  const args = [
    '-v',
    'filesrc',
    `location=${file}`,
    '!',
    demux,
    '!',
    'h264parse',
    '!',
    'avdec_h264',
    '!',
    'fakesink',
    'sync=false',
    'silent=false',
  ];
  const out = execFileSync('gst-launch-1.0', args, {
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.split('\n').filter((l) => l.includes('chain')).length;
}
