import { EvaluationInputError } from './evaluation-input-error.js';

/** An inclusive range of 1-based frame numbers, e.g. frames 1-400. */
export interface FrameRange {
  readonly first: number;
  readonly last: number;
}

/**
 * Parses `A-B` (or a single `A`) into an inclusive 1-based frame range.
 * @throws EvaluationInputError (code `bad-frame-range`) when it is not two integers with 1 ≤ A ≤ B
 */
export function parseFrameRange(text: string): FrameRange {
  const m = text.trim().match(/^(\d+)(?:\s*-\s*(\d+))?$/);
  const first = m ? Number(m[1]) : NaN,
    last = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || first < 1 || last < first)
    throw new EvaluationInputError(
      'bad-frame-range',
      `--frames '${text}': expected A-B with 1 ≤ A ≤ B (1-based frame numbers, e.g. 1-400)`,
    );
  return { first, last };
}

/** Frame numbers of a range, in order. */
export function framesOf(range: FrameRange): number[] {
  return Array.from({ length: range.last - range.first + 1 }, (_, i) => range.first + i);
}
