// `edgevis replay --out` onto a disk that fills up: a clear error naming the file and the fix, exit 1,
// never an unhandled exception or a native abort. The disk is a 256 KiB tmpfs (when this user may
// mount one), else files that point at /dev/full (which answers every write with ENOSPC).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CLI, startCli, within } from './helpers/cli-process.js';
import { haveInputs, MODEL, VTEST } from './helpers/fixtures.js';

/** A folder on a full (or soon full) disk, and how to clean it up. */
function smallDisk(): { dir: string; kind: string; cleanup: () => void } {
  const mountPoint = mkdtempSync(join(tmpdir(), 'edgevis-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return {
      dir: join(mountPoint, 'out'),
      kind: '256 KiB tmpfs',
      cleanup: () => {
        try {
          execFileSync('umount', [mountPoint], { stdio: 'ignore' });
        } catch {
          /* gone */
        }
      },
    };
  } catch {
    const dir = join(mountPoint, 'out');
    mkdirSync(dir);
    for (const name of ['events.jsonl', 'mot.txt', 'mots.txt']) symlinkSync('/dev/full', join(dir, name));
    return { dir, kind: 'files on /dev/full', cleanup: () => undefined };
  }
}

t.test(
  'replay --out onto a full disk: exit 1 with the file and the fix, no crash',
  { skip: (!haveInputs || !existsSync(CLI)) && 'inputs or dist/ missing', timeout: 120_000 },
  async (t) => {
    const disk = smallDisk();
    t.teardown(disk.cleanup);
    const cli = startCli(
      ['replay', VTEST, '--model', MODEL, '--max-frames', '300', '--out', disk.dir],
      { ...process.env },
      (fn) => t.teardown(fn),
    );
    const exit = await within(cli.exited, 90_000);
    t.comment(`${disk.kind}: ${cli.err().trim().split('\n').at(-1)}`);
    t.equal(exit?.code, 1, 'exit code 1');
    t.match(
      cli.err(),
      /cannot write \S+ \(ENOSPC\): the disk is full: free space or write elsewhere \(--out\)/,
      'the error names the file, the cause and the fix',
      { stderr: cli.err() },
    );
    t.notMatch(cli.err(), /terminate called|Napi::Error|Aborted| {4}at /, 'no native abort, no stack trace');
  },
);

// Which write meets the full disk first depends on timing (the result files are written by a worker):
// a result file that cannot be written must be reported as well as the event log.
t.test(
  'a result file on a full disk (the event log still fits): exit 1 naming that file',
  { skip: (!haveInputs || !existsSync(CLI)) && 'inputs or dist/ missing', timeout: 120_000 },
  async (t) => {
    const dir = join(mkdtempSync(join(tmpdir(), 'edgevis-full-')), 'out');
    mkdirSync(dir);
    symlinkSync('/dev/full', join(dir, 'mot.txt'));
    const cli = startCli(
      ['replay', VTEST, '--model', MODEL, '--max-frames', '100', '--out', dir],
      { ...process.env },
      (fn) => t.teardown(fn),
    );
    const exit = await within(cli.exited, 90_000);
    t.equal(exit?.code, 1, 'exit code 1');
    t.match(
      cli.err(),
      new RegExp(
        `result files not written: cannot write ${join(dir, 'mot.txt').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(ENOSPC\\): the disk is full`,
      ),
      'the error names mot.txt, the cause and the fix',
      { stderr: cli.err() },
    );
    t.notMatch(cli.err(), /terminate called|Napi::Error|Aborted| {4}at /, 'no native abort, no stack trace');
  },
);
