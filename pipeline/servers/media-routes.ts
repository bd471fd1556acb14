import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CAMERA_ID_PATTERN } from '../../config/camera-id.js';
import { type HttpRoute, sendJson } from './http-edge.js';

/** File names the media routes serve: letters, digits, `_`, `-`, one dot before the extension. */
const FILE_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(mkv|jpg|mp4)$/;
const CONTENT_TYPES: Record<string, string> = { mkv: 'video/x-matroska', jpg: 'image/jpeg', mp4: 'video/mp4' };
/** Which extension each kind of file has. */
const KIND_EXT: Record<string, string> = { '': 'mkv', snapshots: 'jpg', clips: 'mp4' };

/**
 * A camera's recordings and snapshots over HTTP, behind the reader token like the rest of the
 * port (`HttpEdge`):
 * - `GET /media/<camera>/` → its finished recording segments (the index: file, start, end, bytes)
 *   and snapshots, JSON;
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
      let index: unknown[] = [];
      try { index = readFileSync(join(dir, 'index.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown); } catch { /* none yet */ }
      const present = new Set(existsSync(dir) ? readdirSync(dir) : []);
      const shots = existsSync(join(dir, 'snapshots')) ? readdirSync(join(dir, 'snapshots')).filter((f) => f.endsWith('.jpg')).sort() : [];
      const clips = existsSync(join(dir, 'clips')) ? readdirSync(join(dir, 'clips')).filter((f) => f.endsWith('.mp4')).sort() : [];
      sendJson(response, 200, {
        camera,
        segments: index.filter((e) => present.has((e as { file: string }).file)).map((e) => ({ ...(e as object), url: `/media/${camera}/${(e as { file: string }).file}` })),
        snapshots: shots.map((f) => ({ file: f, url: `/media/${camera}/snapshots/${f}` })),
        clips: clips.map((f) => ({ file: f, url: `/media/${camera}/clips/${f}` })),
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
