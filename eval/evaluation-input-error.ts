/**
 * Machine-readable cause of bad evaluation input: `not-found` (a path that does not exist),
 * `unreadable` (exists, cannot be read), `unknown-format` (neither MOTChallenge, MOTS nor DAVIS),
 * `malformed` (a file of a known format with a bad row or image), `bad-frame-range` (`--frames`).
 */
export type EvaluationInputCode = 'not-found' | 'unreadable' | 'unknown-format' | 'malformed' | 'bad-frame-range';

/** Bad or missing evaluation input; the message names the path (or flag) and what to pass instead. */
export class EvaluationInputError extends Error {
  override readonly name = 'EvaluationInputError';
  constructor(
    readonly code: EvaluationInputCode,
    message: string,
  ) {
    super(message);
  }
}
