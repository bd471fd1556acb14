import { pino, type Logger, type LoggerOptions } from 'pino';
import { redactSecrets } from '../../operators/sources/redact-secrets.js';

export type { Logger };

/**
 * The process logger: JSON lines on stderr (pretty-printed on a terminal), level from
 * `level` or $LOG_LEVEL (default info). stdout is left to the status line.
 */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  const options: LoggerOptions = { level, base: undefined, hooks: { logMethod: redactingLogMethod } };
  if (process.stderr.isTTY) {
    return pino(
      options,
      pino.transport({
        target: 'pino-pretty',
        options: { destination: 2, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' },
      }),
    );
  }
  return pino(options, pino.destination({ dest: 2, sync: true }));
}

/**
 * Every log line passes here: credentials in any URL of its message or of the string fields of
 * its object (a source, an error text that quotes a URL) are replaced by `***` (redactSecrets),
 * whatever code logged it.
 */
function redactingLogMethod(this: Logger, args: Parameters<Logger['info']>, method: (...a: unknown[]) => void): void {
  method.apply(
    this,
    args.map((a: unknown) => {
      if (typeof a === 'string') return redactSecrets(a);
      if (a instanceof Error)
        return Object.assign(new Error(redactSecrets(a.message)), {
          name: a.name,
          code: (a as { code?: unknown }).code,
        });
      if (a && typeof a === 'object' && !Array.isArray(a)) {
        return Object.fromEntries(
          Object.entries(a).map(([k, v]) => [
            k,
            typeof v === 'string'
              ? redactSecrets(v)
              : Array.isArray(v)
                ? v.map((x: unknown) => (typeof x === 'string' ? redactSecrets(x) : x))
                : v,
          ]),
        );
      }
      return a;
    }),
  );
}
