import { join } from 'node:path';
import { closeSync, createReadStream, constants, fstatSync, openSync } from 'node:fs';
import { CAMERA_ID_PATTERN } from '../../config/camera-id.js';
import {
  IndexedNames,
  readIndex,
  type ClipEntry,
  type SegmentEntry,
  type SnapshotEntry,
} from '../media/media-index.js';
import { cameraFolderPath, isMediaName, type MediaKind } from '../media/media-names.js';
import { type HttpRoute, sendJson } from './http-edge.js';

const CONTENT_TYPES: Record<MediaKind, string> = {
  segment: 'video/x-matroska',
  snapshot: 'image/jpeg',
  clip: 'video/mp4',
};
const KIND_OF_FOLDER: Record<string, MediaKind> = { '': 'segment', snapshots: 'snapshot', clips: 'clip' };

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
 * Only what edgevis wrote is served: a camera it runs (404 otherwise), a file its folder's index
 * lists under edgevis's exact naming scheme, a regular file (never a symbolic link) inside the
 * camera's own folder, itself no link and inside the recordings folder (real paths compared);
 * anything else is 404, the same answer as a missing file, so nothing tells what else exists.
 * @param recordingsDir the folder holding one sub-folder per camera
 * In a fleet, a camera another node runs is answered with 307 to the same path on that node
 * (`elsewhere`: its HTTP origin, e.g. http://10.0.0.6:8765): media stays on the disk of the node that
 * wrote it. (After a failover the old owner's media is on the old owner, reachable there while it runs.)
 * @param cameraExists whether edgevis runs a camera of that id now
 * @param elsewhere the HTTP origin of the node that runs a camera this one does not, or null
 */
export function mediaRoutes(
  recordingsDir: string,
  cameraExists: (id: string) => boolean,
  elsewhere: (id: string) => string | null = () => null,
): HttpRoute {
  const indexed = new IndexedNames();
  return (request, response, url) => {
    const m = /^\/media\/([^/]+)\/(?:(snapshots|clips)\/)?([^/]*)$/.exec(url.pathname);
    if (!m) return false;
    const [, camera, folder, file] = m;
    if (!CAMERA_ID_PATTERN.test(camera) || !cameraExists(camera)) {
      const origin = CAMERA_ID_PATTERN.test(camera) ? elsewhere(camera) : null;
      if (origin) {
        response.writeHead(307, { location: `${origin}${url.pathname}${url.search}` }).end();
        return true;
      }
      sendJson(response, 404, { error: 'no such camera' });
      return true;
    }
    if (file === '' && !folder) {
      const range = timeRange(url.searchParams);
      if (typeof range === 'string') {
        sendJson(response, 400, { error: range });
        return true;
      }
      const overlaps = (e: { start: string; end: string }) =>
        Date.parse(e.end) >= range.from && Date.parse(e.start) <= range.to;
      const at = (e: { time: string }) => Date.parse(e.time) >= range.from && Date.parse(e.time) <= range.to;
      // A folder that is a link, or leads outside the recordings, lists nothing.
      const entries = <T extends { readonly file: string }>(kind: MediaKind): T[] => {
        const dir = cameraFolderPath(recordingsDir, camera, kind);
        return dir ? readIndex<T>(dir).filter((e) => isMediaName(kind, camera, e.file)) : [];
      };
      sendJson(response, 200, {
        camera,
        segments: entries<SegmentEntry>('segment')
          .filter(overlaps)
          .map((e) => ({ ...e, url: `/media/${camera}/${e.file}` })),
        clips: entries<ClipEntry>('clip')
          .filter(overlaps)
          .map((e) => ({ ...e, url: `/media/${camera}/clips/${e.file}` })),
        snapshots: entries<SnapshotEntry>('snapshot')
          .filter(at)
          .map((e) => ({ ...e, url: `/media/${camera}/snapshots/${e.file}` })),
      });
      return true;
    }
    const kind = KIND_OF_FOLDER[folder ?? ''];
    const dir = isMediaName(kind, camera, file) ? cameraFolderPath(recordingsDir, camera, kind) : null;
    const path = dir && indexed.has(dir, file) ? join(dir, file) : null;
    // The folder is real and the name has no `/`: O_NOFOLLOW refuses a link in the file's place, and
    // fstat below anything that is not a regular file.
    let fd: number | undefined;
    try {
      if (path) fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      fd = undefined;
    }
    if (fd === undefined) {
      sendJson(response, 404, { error: `no such file: ${file}` });
      return true;
    }
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeSync(fd);
      sendJson(response, 404, { error: `no such file: ${file}` });
      return true;
    }
    const size = stat.size;
    const range = /^bytes=(\d*)-(\d*)$/.exec(request.headers.range ?? '');
    let start = 0,
      end = size - 1,
      status = 200;
    if (range && (range[1] || range[2])) {
      start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size) {
        closeSync(fd);
        response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return true;
      }
      status = 206;
    }
    response.writeHead(status, {
      'content-type': CONTENT_TYPES[kind],
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      ...(status === 206 ? { 'content-range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (request.method === 'HEAD' || size === 0) {
      closeSync(fd);
      response.end();
      return true;
    }
    const body = createReadStream('', { fd, start, end }).on('error', () => response.destroy());
    // A client that goes away before the end: the stream (and its descriptor) closes with it.
    response.on('close', () => body.destroy());
    body.pipe(response);
    return true;
  };
}

/** The `from`/`to` query parameters as ms since the Unix epoch (open ends: ±Infinity), or why they are wrong. */
function timeRange(query: URLSearchParams): { from: number; to: number } | string {
  const parse = (name: string, open: number): number | string => {
    const value = query.get(name);
    if (value === null || value === '') return open;
    const ms = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
    return Number.isFinite(ms)
      ? ms
      : `${name}=${value} is not a time: give ISO 8601 (2026-12-03T14:00:00Z) or ms since the Unix epoch`;
  };
  const from = parse('from', -Infinity),
    to = parse('to', Infinity);
  if (typeof from === 'string') return from;
  if (typeof to === 'string') return to;
  return from <= to ? { from, to } : `from (${query.get('from')}) is after to (${query.get('to')})`;
}
