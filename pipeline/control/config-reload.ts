import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { sectionsNeedingRestart } from '../../config/diff.js';
import type { EdgevisConfig } from '../../config/schema.js';
import type { Logger } from '../process/logger.js';
import type { EdgevisRuntime } from '../runtime.js';

/** How long a burst of file events (an editor's write-rename-chmod) is let settle before a reload, ms. */
const SETTLE_MS = 300;

/**
 * Reloads the cameras of a running edgevis from its config file on SIGHUP and whenever the file
 * changes (its folder is watched, so an editor that replaces the file is seen too): the camera
 * set is made equal to the file's (added, removed, restarted when changed; the others are not
 * touched). A file that does not validate is reported and changes nothing. Changes outside
 * `cameras` are named in a warning: they need a restart.
 *
 * @param load reads and validates the config again (the same flags laid over it as at start)
 * @returns a function that stops watching and removes the SIGHUP handler
 */
export function reloadCamerasOnChange(
  configPath: string,
  initial: EdgevisConfig,
  load: () => Promise<EdgevisConfig>,
  runtime: EdgevisRuntime,
  log: Logger,
): () => void {
  let applied = initial;
  let lastText: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const reload = (why: string) => {
    running = running
      .then(async () => {
        const text = await readFile(configPath, 'utf8').catch(() => null);
        if (why === 'file change' && text !== null && text === lastText) return; // a touch, not a change
        lastText = text;
        let next: EdgevisConfig;
        try {
          next = await load();
        } catch (err) {
          log.error(
            { config: configPath },
            `config reload (${why}) rejected, the cameras keep running as they are: ${(err as Error).message}`,
          );
          return;
        }
        const restartOnly = sectionsNeedingRestart(applied, next);
        if (restartOnly.length)
          log.warn(
            { sections: restartOnly },
            `config reload: changes to ${restartOnly.join(', ')} take effect after a restart of edgevis`,
          );
        const diff = runtime.applyCameras(next.cameras);
        applied = next;
        log.info(
          {
            added: diff.added.map((c) => c.id),
            removed: diff.removed,
            restarted: diff.changed.map((c) => c.id),
            unchanged: diff.unchanged,
          },
          `config reloaded (${why}): ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} restarted, ${diff.unchanged.length} unchanged`,
        );
      })
      .catch((err) => log.error(`config reload failed: ${(err as Error).message}`));
  };
  void readFile(configPath, 'utf8').then(
    (t) => {
      lastText = t;
    },
    () => undefined,
  );
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  let watcher: FSWatcher | null = null;
  try {
    const name = basename(configPath);
    watcher = watch(dirname(resolve(configPath)), (_event, file) => {
      if (file !== name) return;
      clearTimeout(timer);
      timer = setTimeout(() => reload('file change'), SETTLE_MS);
    });
    watcher.on('error', (err) => log.warn(`config file watch stopped (${err.message}); SIGHUP still reloads`));
  } catch (err) {
    log.warn(`cannot watch ${configPath} (${(err as Error).message}); SIGHUP still reloads`);
  }
  return () => {
    clearTimeout(timer);
    watcher?.close();
    process.off('SIGHUP', onHup);
  };
}
