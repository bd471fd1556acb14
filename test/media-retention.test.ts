// Retention of a camera's folder: segments, event clips and snapshots share one quota and one age
// limit, oldest first whatever the kind; the segment being written and segments a clip still needs
// stay; files that are not the camera's media are never touched; the indexes lose the deleted files' lines.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import { CameraRecorder } from '../pipeline/media/camera-recorder.js';
import { listCameraMedia, retentionVictims, type MediaFile } from '../pipeline/media/media-retention.js';

const file = (name: string, kind: MediaFile['kind'], bytes: number, mtimeMs: number): MediaFile => ({
  name,
  kind,
  bytes,
  mtimeMs,
});
const HOUR = 3600_000;

t.test('oldest first across kinds until the quota holds; age first; kept files count but stay', async (t) => {
  const files = [
    file('gate-000001.mkv', 'segment', 100, 1000),
    file('clips/gate-1-1.mp4', 'clip', 50, 2000),
    file('snapshots/a.jpg', 'snapshot', 10, 3000),
    file('gate-000002.mkv', 'segment', 100, 4000),
  ];
  const none = () => false;
  t.same(retentionVictims(files, { maxBytes: 260, maxAgeMs: 0, now: 5000, keep: none }), [], 'everything fits');
  t.same(
    retentionVictims(files, { maxBytes: 200, maxAgeMs: 0, now: 5000, keep: none }).map((v) => v.file.name),
    ['gate-000001.mkv'],
    'the oldest goes first',
  );
  t.same(
    retentionVictims(files, { maxBytes: 100, maxAgeMs: 0, now: 5000, keep: none }).map((v) => v.file.name),
    ['gate-000001.mkv', 'clips/gate-1-1.mp4', 'snapshots/a.jpg'],
    'then the clip and the snapshot, by age not kind',
  );
  t.same(
    retentionVictims(files, { maxBytes: 100, maxAgeMs: 0, now: 5000, keep: (f) => f.name === 'gate-000001.mkv' }).map(
      (v) => v.file.name,
    ),
    ['clips/gate-1-1.mp4', 'snapshots/a.jpg', 'gate-000002.mkv'],
    'a kept file stays and still counts',
  );
  t.same(
    retentionVictims(files, { maxBytes: 1e9, maxAgeMs: 2500, now: 5000, keep: none }),
    [
      { file: files[0], reason: 'age' },
      { file: files[1], reason: 'age' },
    ],
    'files past the age limit go whatever the quota',
  );
});

t.test('a snapshots-only camera: its folder is held to the quota, other files untouched', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'edgevis-retention-'));
  mkdirSync(join(dir, 'snapshots'));
  mkdirSync(join(dir, 'clips'));
  const now = Date.now();
  const put = (name: string, bytes: number, ageMs: number) => {
    writeFileSync(join(dir, name), Buffer.alloc(bytes));
    utimesSync(join(dir, name), (now - ageMs) / 1000, (now - ageMs) / 1000);
  };
  for (let k = 0; k < 10; k++) put(`snapshots/gate-1-${k}.jpg`, 1000, (10 - k) * 60_000);
  writeFileSync(
    join(dir, 'snapshots', 'index.jsonl'),
    Array.from({ length: 10 }, (_, k) => `${JSON.stringify({ file: `gate-1-${k}.jpg`, trackId: k })}\n`).join('') +
      '{"file": "gate-cut-off',
  );
  put('clips/gate-3-1.mp4', 5000, 30 * 60_000);
  put('gate-20261203T101500Z-000004.mkv', 5000, 2 * HOUR);
  put('notes.txt', 9000, 3 * HOUR);
  put('other-000001.mkv', 9000, 3 * HOUR);
  t.same(
    listCameraMedia(dir, 'gate').map((f) => f.name),
    [
      'gate-20261203T101500Z-000004.mkv',
      'clips/gate-3-1.mp4',
      ...Array.from({ length: 10 }, (_, k) => `snapshots/gate-1-${k}.jpg`),
    ],
    "the camera's media, oldest first; not notes.txt nor another camera's segment",
  );

  const recorder = new CameraRecorder(
    'gate',
    dir,
    { enabled: false, segmentSeconds: 10, maxBytes: 6000, maxAgeHours: 0 },
    pino({ level: 'silent' }),
  );
  t.teardown(() => recorder.close());
  recorder.enforceRetention();
  const left = listCameraMedia(dir, 'gate');
  t.ok(left.reduce((n, f) => n + f.bytes, 0) <= 6000, 'the folder fits the quota');
  t.same(
    left.map((f) => f.name),
    Array.from({ length: 6 }, (_, k) => `snapshots/gate-1-${k + 4}.jpg`),
    'the segment, the clip and the oldest snapshots went first',
  );
  t.ok(
    existsSync(join(dir, 'notes.txt')) && existsSync(join(dir, 'other-000001.mkv')),
    "files that are not the camera's media stay",
  );
  t.same(recorder.counters.deletedByQuota, 6, 'deletions counted');
  const index = readFileSync(join(dir, 'snapshots', 'index.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { file: string }).file);
  t.same(
    index,
    Array.from({ length: 6 }, (_, k) => `gate-1-${k + 4}.jpg`),
    "the snapshots' index keeps the lines of the files left (and drops a line cut off by a crash)",
  );
  put('snapshots/gate-1-10.jpg', 2000, 0);
  recorder.noteWritten('snapshots/gate-1-10.jpg', 'snapshot', 2000);
  recorder.enforceRetention();
  t.same(
    listCameraMedia(dir, 'gate').map((f) => f.name),
    [...Array.from({ length: 4 }, (_, k) => `snapshots/gate-1-${k + 6}.jpg`), 'snapshots/gate-1-10.jpg'],
    'a file it is told about counts without listing the folder again: the two oldest make room',
  );
  t.same(recorder.state, { state: 'off' }, 'recording stays off');
  t.ok(readdirSync(dir).includes('clips'), 'folders stay');
});

t.test('links and files edgevis did not write are never listed nor deleted, whatever their names', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'edgevis-retention-links-'));
  const outside = mkdtempSync(join(tmpdir(), 'edgevis-outside-'));
  writeFileSync(join(outside, 'precious.bin'), Buffer.alloc(50_000));
  mkdirSync(join(outside, 'snapshots'));
  writeFileSync(join(outside, 'snapshots', 'gate-1-1.jpg'), Buffer.alloc(50_000));
  const dir = join(root, 'gate');
  mkdirSync(join(dir, 'snapshots'), { recursive: true });
  mkdirSync(join(dir, 'clips'));
  writeFileSync(join(dir, 'gate-20261203T101500Z-000004.mkv'), Buffer.alloc(5000));
  symlinkSync(join(outside, 'precious.bin'), join(dir, 'gate-20261203T101600Z-000099.mkv'));
  symlinkSync(join(outside, 'precious.bin'), join(dir, 'snapshots', 'gate-1-7.jpg'));
  symlinkSync(join(outside, 'precious.bin'), join(dir, 'clips', 'gate-1-2.mp4'));
  writeFileSync(join(dir, 'foreign.mkv'), Buffer.alloc(5000));
  writeFileSync(join(dir, 'gate-notes-000001.mkv'), Buffer.alloc(5000));
  t.same(
    listCameraMedia(dir, 'gate').map((f) => f.name),
    ['gate-20261203T101500Z-000004.mkv'],
    'only the segment edgevis wrote',
  );
  const recorder = new CameraRecorder(
    'gate',
    dir,
    { enabled: false, segmentSeconds: 10, maxBytes: 100, maxAgeHours: 0 },
    pino({ level: 'silent' }),
  );
  t.teardown(() => recorder.close());
  recorder.enforceRetention();
  t.notOk(existsSync(join(dir, 'gate-20261203T101500Z-000004.mkv')), 'its own segment went (over the quota)');
  for (const name of [
    'gate-20261203T101600Z-000099.mkv',
    'snapshots/gate-1-7.jpg',
    'clips/gate-1-2.mp4',
    'foreign.mkv',
    'gate-notes-000001.mkv',
  ]) {
    t.ok(lstatSync(join(dir, name)), `${name} stays`);
  }
  t.ok(existsSync(join(outside, 'precious.bin')), 'the file the links point at stays');

  // A camera folder that is a link: nothing in it is the camera's media.
  symlinkSync(outside, join(root, 'evil'));
  t.same(listCameraMedia(join(root, 'evil'), 'gate'), [], 'a linked camera folder has no media');
  const evil = new CameraRecorder(
    'gate',
    join(root, 'evil'),
    { enabled: false, segmentSeconds: 10, maxBytes: 100, maxAgeHours: 0 },
    pino({ level: 'silent' }),
  );
  t.teardown(() => evil.close());
  evil.enforceRetention();
  t.ok(existsSync(join(outside, 'snapshots', 'gate-1-1.jpg')), 'retention deletes nothing through it');
});
