import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFolders } from '../../config/make-folders.js';

/** The folder of what survives restarts: `stateDir` from the config, else $EDGEVIS_STATE_DIR, else systemd's $STATE_DIRECTORY (its first entry); null when none is set. */
export function stateDirOf(configured: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  return configured ?? env.EDGEVIS_STATE_DIR ?? env.STATE_DIRECTORY?.split(':')[0] ?? null;
}

/**
 * The epoch of this run of edgevis: its start time in ms since the Unix epoch, made strictly
 * greater than the epoch of any earlier run recorded in `stateDir/epoch` (a clock that went back
 * after a restart, two starts in the same millisecond), and recorded there for the next run. The
 * epoch goes into every message (`epoch`), into sequence numbers (`seq` = epoch × 1000 + n, see
 * `MessageSequence`) and into event ids, so they never repeat across restarts and crashes.
 * Without a state folder the start time alone is used (unique while the clock does not go back).
 * @returns the epoch, and a warning when the state folder could not be read or written (the start time is used then)
 */
export function runEpoch(stateDir: string | null, now = Date.now()): { epoch: number; warning?: string } {
  if (stateDir === null) return { epoch: now };
  const file = join(stateDir, 'epoch');
  let last = 0;
  try {
    last = Number.parseInt(readFileSync(file, 'utf8').trim(), 10) || 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      return {
        epoch: now,
        warning: `cannot read ${file} (${(err as NodeJS.ErrnoException).code}); the run epoch is the start time`,
      };
  }
  const epoch = Math.max(now, last + 1);
  try {
    makeFolders(stateDir);
    // Written whole or not at all: a crash while writing never leaves a shorter number behind.
    writeFileSync(`${file}.tmp`, `${epoch}\n`);
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    return {
      epoch,
      warning: `cannot record the run epoch in ${file} (${(err as NodeJS.ErrnoException).code}); the next run relies on the clock alone`,
    };
  }
  return { epoch };
}
