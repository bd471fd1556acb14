import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * The process logger: JSON lines on stderr (pretty-printed on a terminal), level from
 * `level` or $LOG_LEVEL (default info). stdout is left to the status line.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  if (process.stderr.isTTY) {
    return pino({ level, base: undefined }, pino.transport({ target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } }));
  }
  return pino({ level, base: undefined }, pino.destination({ dest: 2, sync: true }));
}
