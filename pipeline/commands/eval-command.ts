import { writeFileSync } from 'node:fs';
import { evaluateFiles, EvaluationInputError } from '../../eval/evaluate-files.js';
import { parseFrameRange } from '../../eval/frame-range.js';
import { formatScoresTable } from '../../eval/report-table.js';

/** Flags of `edgevis eval`. */
export interface EvalFlags {
  gt: string;
  pred: string;
  frames?: string;
  json?: string;
}

/**
 * `edgevis eval`: prints the scores table (stdout) and optionally writes JSON.
 * @returns exit code: 0, or 2 for bad input (any {@link EvaluationInputError}; message on stderr)
 */
export function evalCommand(flags: EvalFlags): number {
  try {
    const range = flags.frames ? parseFrameRange(flags.frames) : undefined;
    const result = evaluateFiles(flags.gt, flags.pred, range);
    const json = `${JSON.stringify({ gt: flags.gt, pred: flags.pred, ...result }, null, 2)}\n`;
    if (flags.json === '-') {
      process.stdout.write(json);
      return 0;
    }
    const what =
      result.kind === 'motchallenge'
        ? `MOTChallenge (${result.benchmark} preprocessing)`
        : result.kind === 'mots'
          ? 'MOTS'
          : 'DAVIS';
    process.stdout.write(
      `${what} ground truth ${flags.gt}, predictions ${flags.pred}${result.range ? `, frames ${result.range.first}-${result.range.last}` : ''}\n`,
    );
    process.stdout.write(formatScoresTable(result.sequences, result.combined, result.similarity));
    if (flags.json) writeFileSync(flags.json, json);
    return 0;
  } catch (err) {
    if (err instanceof EvaluationInputError) {
      process.stderr.write(`edgevis eval: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
