// The media routes serve only what edgevis wrote (issue 24): files its index lists under its exact
// names, regular files inside the camera's own folder; symbolic links (to files or folders), files it
// did not write and cameras it does not run are 404, the same answer as a missing file.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { mediaRoutes } from '../pipeline/http/media-routes.js';

const root = mkdtempSync(join(tmpdir(), 'edgevis-media-routes-'));
const outside = mkdtempSync(join(tmpdir(), 'edgevis-outside-'));
writeFileSync(join(outside, 'secret.txt'), 'root:x:0:0:outside the recordings\n');
const gate = join(root, 'gate');
mkdirSync(join(gate, 'snapshots'), { recursive: true });
mkdirSync(join(gate, 'clips'));
const index = (dir: string, entries: object[]) =>
  writeFileSync(join(dir, 'index.jsonl'), entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
const segment = 'gate-20261203T101500Z-000004.mkv';
writeFileSync(join(gate, segment), 'MATROSKA');
writeFileSync(join(gate, 'snapshots', 'gate-1-3.jpg'), 'JPEG');
writeFileSync(join(gate, 'clips', 'gate-1-1.mp4'), 'MP4');
// Links under edgevis-style names, listed in the indexes as an attacker with write access to the folder would.
symlinkSync(join(outside, 'secret.txt'), join(gate, 'gate-20261203T101600Z-000099.mkv'));
symlinkSync(join(outside, 'secret.txt'), join(gate, 'snapshots', 'gate-1-9.jpg'));
symlinkSync(join(outside, 'secret.txt'), join(gate, 'clips', 'gate-1-2.mp4'));
writeFileSync(join(gate, 'foreign.mkv'), 'NOT OURS');
writeFileSync(join(gate, 'gate-20261203T101700Z-000005.mkv'), 'NOT INDEXED');
index(gate, [
  { file: segment, start: '2026-12-03T10:15:00Z', end: '2026-12-03T10:15:10Z', bytes: 8 },
  { file: 'gate-20261203T101600Z-000099.mkv', start: '2026-12-03T10:16:00Z', end: '2026-12-03T10:16:10Z', bytes: 8 },
  { file: 'foreign.mkv', start: '2026-12-03T10:16:00Z', end: '2026-12-03T10:16:10Z', bytes: 8 },
]);
index(join(gate, 'snapshots'), [
  { file: 'gate-1-3.jpg', time: '2026-12-03T10:15:05Z' },
  { file: 'gate-1-9.jpg', time: '2026-12-03T10:15:06Z' },
]);
index(join(gate, 'clips'), [
  { file: 'gate-1-1.mp4', start: '2026-12-03T10:15:00Z', end: '2026-12-03T10:15:10Z' },
  { file: 'gate-1-2.mp4', start: '2026-12-03T10:15:00Z', end: '2026-12-03T10:15:10Z' },
]);
// A camera folder that is a link to a folder outside, with an index and media names of its own.
mkdirSync(join(outside, 'evil', 'snapshots'), { recursive: true });
writeFileSync(join(outside, 'evil', 'evil-20261203T101500Z-000001.mkv'), 'OUTSIDE');
index(join(outside, 'evil'), [
  { file: 'evil-20261203T101500Z-000001.mkv', start: '2026-12-03T10:15:00Z', end: '2026-12-03T10:15:10Z' },
]);
symlinkSync(join(outside, 'evil'), join(root, 'evil'));
// A camera whose snapshots folder is a link.
mkdirSync(join(root, 'door'));
symlinkSync(join(outside, 'evil', 'snapshots'), join(root, 'door', 'snapshots'));

const running = new Set(['gate', 'evil', 'door']);
let server: Server;
let base = '';
t.before(async () => {
  const route = mediaRoutes(root, (id) => running.has(id));
  server = createServer((request, response) => {
    void Promise.resolve(route(request, response, new URL(request.url ?? '/', 'http://x'))).then((handled) => {
      if (!handled) response.writeHead(418).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));

const get = async (path: string, headers: Record<string, string> = {}) => {
  const response = await fetch(`${base}${path}`, { headers });
  return { status: response.status, body: await response.text() };
};

t.test('what edgevis wrote is served and listed', async (t) => {
  t.same(await get(`/media/gate/${segment}`), { status: 200, body: 'MATROSKA' });
  t.same(await get(`/media/gate/${segment}`, { range: 'bytes=2-4' }), { status: 206, body: 'TRO' }, 'byte ranges');
  t.same(await get('/media/gate/snapshots/gate-1-3.jpg'), { status: 200, body: 'JPEG' });
  t.same(await get('/media/gate/clips/gate-1-1.mp4'), { status: 200, body: 'MP4' });
  const listed = JSON.parse((await get('/media/gate/')).body) as {
    segments: { file: string }[];
    clips: { file: string }[];
    snapshots: { file: string }[];
  };
  t.same(
    listed.segments.map((e) => e.file),
    [segment],
    'the listing has no link and no foreign file',
  );
  t.same(
    listed.clips.map((e) => e.file),
    ['gate-1-1.mp4'],
  );
  t.same(
    listed.snapshots.map((e) => e.file),
    ['gate-1-3.jpg'],
  );
});

t.test('links, foreign files, unindexed files and unknown cameras are 404', async (t) => {
  for (const path of [
    '/media/gate/gate-20261203T101600Z-000099.mkv',
    '/media/gate/snapshots/gate-1-9.jpg',
    '/media/gate/clips/gate-1-2.mp4',
    '/media/gate/foreign.mkv',
    '/media/gate/gate-20261203T101700Z-000005.mkv',
    '/media/gate/snapshots/..%2f..%2f..%2fsecret.txt',
    '/media/evil/evil-20261203T101500Z-000001.mkv',
    '/media/nosuchcamera/',
    '/media/nosuchcamera/nosuchcamera-20261203T101500Z-000001.mkv',
  ]) {
    const answer = await get(path);
    t.equal(answer.status, 404, `${path} is 404`);
    t.notMatch(answer.body, /root:x|OUTSIDE|NOT OURS|NOT INDEXED/, `${path} gives nothing away`);
  }
  t.same(
    JSON.parse((await get('/media/evil/')).body),
    { camera: 'evil', segments: [], clips: [], snapshots: [] },
    'a linked camera folder lists nothing',
  );
  t.same(JSON.parse((await get('/media/door/')).body).snapshots, [], 'a linked snapshots folder lists nothing');
  t.equal((await get('/media/door/snapshots/door-1-1.jpg')).status, 404);
});
