import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { CAMERA_ID_PATTERN } from '../../config/camera-id.js';
import { readIndex, type ClipEntry, type SegmentEntry, type SnapshotEntry } from '../recording/media-index.js';
import { type HttpRoute, sendJson } from './http-edge.js';

/** File names the media routes serve: letters, digits, `_`, `-`, one dot before the extension. */
const FILE_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(mkv|jpg|mp4)$/;
const CONTENT_TYPES: Record<string, string> = { mkv: 'video/x-matroska', jpg: 'image/jpeg', mp4: 'video/mp4' };
/** Which extension each kind of file has. */
const KIND_EXT: Record<string, string> = { '': 'mkv', snapshots: 'jpg', clips: 'mp4' };

/**
 * A camera's recordings and snapshots over HTTP, behind the reader token like the rest of the
 * port (`HttpEdge`):
 * - `GET /media/<camera>/[?from=…&to=…]` → what is on disk for the camera, from the folders'
 *   indexes, oldest first, JSON: `segments` (file, start, end, bytes), `clips` (+ clipId and the
 *   eventIds it holds) overlapping the range, and `snapshots` (time, eventId, trackId, className,
 *   score, frameIndex) written in it; each with its `url`. `from`/`to` are ISO 8601 times or ms
 *   since the Unix epoch (wall clock), either may be left out; a value that is neither is 400;
 * - `GET /media/<camera>/<segment>.mkv` → a segment (byte ranges served: players seek);
 * - `GET /media/<camera>/snapshots/<file>.jpg` → a snapshot;
 * - `GET /media/<camera>/clips/<file>.mp4` → an event clip (byte ranges).
 * Only names of the forms edgevis writes are served, from the camera's own folder: no `..`, no
 * other file of the machine.
 * @param recordingsDir the folder holding one sub-folder per camera
 */
export function mediaRoutes(recordingsDir: string): HttpRoute {
  return (request, response, url) => {
    const m = /^\/media\/([^/]+)\/(?:(snapshots|clips)\/)?([^/]*)$/.exec(url.pathname);
    if (!m) return false;
    const [, camera, snapshots, file] = m;
    if (!CAMERA_ID_PATTERN.test(camera)) { sendJson(response, 404, { error: 'no such camera' }); return true; }
    const dir = join(recordingsDir, camera, snapshots ?? '');
    if (file === '' && !snapshots) {
      const range = timeRange(url.searchParams);
      if (typeof range === 'string') { sendJson(response, 400, { error: range }); return true; }
      const overlaps = (e: { start: string; end: string }) => Date.parse(e.end) >= range.from && Date.parse(e.start) <= range.to;
      const at = (e: { time: string }) => Date.parse(e.time) >= range.from && Date.parse(e.time) <= range.to;
      sendJson(response, 200, {
        camera,
        segments: readIndex<SegmentEntry>(dir).filter(overlaps).map((e) => ({ ...e, url: `/media/${camera}/${e.file}` })),
        clips: readIndex<ClipEntry>(join(dir, 'clips')).filter(overlaps).map((e) => ({ ...e, url: `/media/${camera}/clips/${e.file}` })),
        snapshots: readIndex<SnapshotEntry>(join(dir, 'snapshots')).filter(at).map((e) => ({ ...e, url: `/media/${camera}/snapshots/${e.file}` })),
      });
      return true;
    }
    const ext = FILE_NAME.exec(file)?.[1];
    if (!ext || ext !== KIND_EXT[snapshots ?? '']) { sendJson(response, 404, { error: `no such file: ${file}` }); return true; }
    const path = join(dir, file);
    let size: number;
    try { size = statSync(path).size; } catch { sendJson(response, 404, { error: `no such file: ${file}` }); return true; }
    const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
    let start = 0, end = size - 1, status = 200;
    if (range && (range[1] || range[2])) {
      start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) { response.writeHead(416, { 'content-range': `bytes */${size}` }).end(); return true; }
      status = 206;
    }
    response.writeHead(status, {
      'content-type': CONTENT_TYPES[ext], 'content-length': end - start + 1, 'accept-ranges': 'bytes',
      ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (request.method === 'HEAD') { response.end(); return true; }
    createReadStream(path, { start, end }).on('error', () => response.destroy()).pipe(response);
    return true;
  };
}

/** The `from`/`to` query parameters as ms since the Unix epoch (open ends: ±Infinity), or why they are wrong. */
function timeRange(query: URLSearchParams): { from: number; to: number } | string {
  const parse = (name: string, open: number): number | string => {
    const value = query.get(name);
    if (value === null || value === '') return open;
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isFinite(ms) ? ms : `${name}=${value} is not a time: give ISO 8601 (2026-12-03T14:00:00Z) or ms since the Unix epoch`;
  };
  const from = parse('from', -Infinity), to = parse('to', Infinity);
  if (typeof from === 'string') return from;
  if (typeof to === 'string') return to;
  return from <= to ? { from, to } : `from (${query.get('from')}) is after to (${query.get('to')})`;
}
