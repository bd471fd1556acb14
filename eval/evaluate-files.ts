import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { boundaryF, davisStatistics, regionJ } from './davis-jf.js';
import { EvaluationInputError } from './evaluation-input-error.js';
import { decodeLabelPng } from './formats/davis-png.js';
import { parseMotChallenge } from './formats/mot-challenge.js';
import { parseMots } from './formats/mots.js';
import type { FrameRange } from './frame-range.js';
import { labelMapFrame, motsSequence } from './mask-sequence.js';
import { detectBenchmark, motChallengeSequence, type MotBenchmark } from './mot-challenge-sequence.js';
import { scoreTracking, type JandF, type TrackingScores } from './score-tracking.js';
import { toScoredSequence, type RawScoredFrame, type ScoredSequence } from './scored-sequence.js';

/** What `edgevis eval` compares, found from the paths. */
export type GroundTruthKind = 'motchallenge' | 'mots' | 'davis';

export { EvaluationInputError };

/** The result of `edgevis eval`. */
export interface EvaluationResult {
  readonly kind: GroundTruthKind;
  readonly similarity: 'box IoU' | 'mask IoU';
  readonly benchmark?: MotBenchmark;
  readonly range?: FrameRange;
  readonly sequences: TrackingScores[];
  readonly combined: TrackingScores;
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const pngsIn = (dir: string) =>
  readdirSync(dir)
    .filter((n) => extname(n).toLowerCase() === '.png')
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));

/** Reads a text file, or throws an EvaluationInputError naming it. */
function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new EvaluationInputError(
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : 'unreadable',
      `${what} '${path}' cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
}

/** Finds the kind of ground truth at `path`: a MOTChallenge gt.txt (or its sequence folder), a MOTS txt, or DAVIS mask folders. */
export function groundTruthKind(path: string): { kind: GroundTruthKind; file: string } {
  if (!existsSync(path))
    throw new EvaluationInputError(
      'not-found',
      `ground truth '${path}' does not exist; pass a MOTChallenge gt.txt, a MOTS txt or a DAVIS Annotations folder`,
    );
  if (isDir(path)) {
    if (existsSync(join(path, 'gt', 'gt.txt'))) return { kind: 'motchallenge', file: join(path, 'gt', 'gt.txt') };
    if (
      pngsIn(path).length > 0 ||
      readdirSync(path).some((n) => isDir(join(path, n)) && pngsIn(join(path, n)).length > 0)
    )
      return { kind: 'davis', file: path };
    throw new EvaluationInputError(
      'unknown-format',
      `ground truth folder '${path}' holds neither gt/gt.txt nor mask PNGs (DAVIS Annotations/480p/<sequence>/*.png)`,
    );
  }
  const first =
    readText(path, 'ground truth')
      .split(/\r?\n/)
      .find((l) => l.trim()) ?? '';
  if (first.includes(',')) return { kind: 'motchallenge', file: path };
  if (first.trim().split(' ').length === 6) return { kind: 'mots', file: path };
  throw new EvaluationInputError(
    'unknown-format',
    `ground truth '${path}' is neither MOTChallenge (comma separated) nor MOTS ('frame id class h w rle') text`,
  );
}

/** Finds a prediction file: `pred` itself, or `name` inside the `pred` folder. */
function predictionFile(pred: string, names: readonly string[], what: string): string {
  if (!existsSync(pred))
    throw new EvaluationInputError(
      'not-found',
      `predictions '${pred}' do not exist; pass the --out folder of 'edgevis replay' or a ${what} file`,
    );
  if (!isDir(pred)) return pred;
  for (const n of names) if (existsSync(join(pred, n))) return join(pred, n);
  throw new EvaluationInputError(
    'not-found',
    `predictions folder '${pred}' holds none of ${names.join(', ')}; pass the --out folder of 'edgevis replay' or the ${what} file`,
  );
}

/** Sequence name and length from a MOTChallenge `seqinfo.ini` beside `gt/`, when present. */
function seqInfo(gtFile: string): { name: string; length?: number } {
  const ini = join(dirname(dirname(gtFile)), 'seqinfo.ini');
  const fallback = basename(dirname(dirname(gtFile))) || 'sequence';
  if (!existsSync(ini)) return { name: fallback };
  const text = readFileSync(ini, 'utf8');
  const name = text.match(/^\s*name\s*=\s*(.+)$/m)?.[1].trim() ?? fallback;
  const len = Number(text.match(/^\s*seqLength\s*=\s*(\d+)/m)?.[1]);
  return { name, length: Number.isFinite(len) ? len : undefined };
}

/**
 * `edgevis eval`: scores predictions against ground truth (paths as the user gave them).
 * - MOTChallenge gt.txt → predictions `mot.txt` (or the file, or `<pred>/<sequence>.txt`), box IoU.
 * - MOTS txt → predictions `mots.txt`, mask IoU.
 * - DAVIS Annotations folder (one sequence of PNGs, or one sub-folder per sequence) → indexed PNGs
 *   per sequence (`<pred>/<seq>/davis/`, `<pred>/<seq>/`, or for one sequence `<pred>/davis/`, `<pred>/`),
 *   mask IoU per track plus J&F of the foreground (union of all predicted tracks).
 * @param range scored frames (1-based, inclusive); default: the whole sequence (`seqLength` of
 *   seqinfo.ini when present, else the last frame of ground truth or predictions)
 * @throws EvaluationInputError for missing or malformed inputs
 */
export function evaluateFiles(gtPath: string, predPath: string, range?: FrameRange): EvaluationResult {
  const { kind, file } = groundTruthKind(gtPath);
  try {
    if (kind === 'motchallenge') {
      const info = seqInfo(file);
      const gt = parseMotChallenge(readText(file, 'ground truth'), file);
      const predFile = predictionFile(predPath, ['mot.txt', `${info.name}.txt`], 'MOTChallenge txt');
      const pred = parseMotChallenge(readText(predFile, 'predictions'), predFile);
      const last = info.length ?? Math.max(0, ...gt.map((r) => r.frame), ...pred.map((r) => r.frame));
      const r = range ?? { first: 1, last };
      const benchmark = detectBenchmark(gt);
      const scored = scoreTracking([motChallengeSequence(info.name, gt, pred, r, benchmark)]);
      return { kind, similarity: 'box IoU', benchmark, range: r, ...scored };
    }
    if (kind === 'mots') {
      const gt = parseMots(readText(file, 'ground truth'), file);
      const predFile = predictionFile(predPath, ['mots.txt'], 'MOTS txt');
      const pred = parseMots(readText(predFile, 'predictions'), predFile);
      const r = range ?? { first: 1, last: Math.max(0, ...gt.map((x) => x.frame), ...pred.map((x) => x.frame)) };
      const scored = scoreTracking([motsSequence(basename(file, extname(file)), gt, pred, r)]);
      return { kind, similarity: 'mask IoU', range: r, ...scored };
    }
    return evaluateDavis(file, predPath, range);
  } catch (err) {
    if (err instanceof EvaluationInputError) throw err;
    throw new EvaluationInputError('malformed', (err as Error).message);
  }
}

/** DAVIS sequences: one folder of PNGs, or sub-folders of PNGs. */
function davisSequences(gtDir: string): { name: string; dir: string }[] {
  if (pngsIn(gtDir).length > 0) return [{ name: basename(gtDir), dir: gtDir }];
  return readdirSync(gtDir)
    .filter((n) => isDir(join(gtDir, n)) && pngsIn(join(gtDir, n)).length > 0)
    .sort()
    .map((name) => ({ name, dir: join(gtDir, name) }));
}

function davisPredictionDir(pred: string, name: string, single: boolean): string {
  const candidates = [join(pred, name, 'davis'), join(pred, name), ...(single ? [join(pred, 'davis'), pred] : [])];
  const found = candidates.find((d) => isDir(d) && pngsIn(d).length > 0);
  if (!found)
    throw new EvaluationInputError(
      'not-found',
      `no predicted mask PNGs for sequence '${name}': looked in ${candidates.join(', ')}`,
    );
  return found;
}

function readLabels(path: string, width: number, height: number): Uint8Array {
  if (!existsSync(path)) return new Uint8Array(width * height); // a frame without output: no object predicted
  const png = decodeLabelPng(readFileSync(path), path);
  if (png.width !== width || png.height !== height)
    throw new EvaluationInputError(
      'malformed',
      `${path} is ${png.width}x${png.height}, ground truth is ${width}x${height}`,
    );
  return png.labels;
}

function evaluateDavis(gtDir: string, predPath: string, range?: FrameRange): EvaluationResult {
  const seqs = davisSequences(gtDir);
  const scoredSeqs: ScoredSequence[] = [];
  const perSequence = new Map<string, JandF>();
  for (const { name, dir } of seqs) {
    const predDir = davisPredictionDir(predPath, name, seqs.length === 1);
    const files = pngsIn(dir).filter((_, i) => !range || (i + 1 >= range.first && i + 1 <= range.last));
    const frames: RawScoredFrame[] = [];
    const J: number[] = [],
      F: number[] = [];
    for (const f of files) {
      const gt = decodeLabelPng(readFileSync(join(dir, f)), join(dir, f));
      const pred = readLabels(join(predDir, f), gt.width, gt.height);
      frames.push(labelMapFrame(gt.labels, pred));
      // DAVIS 2016 is one salient foreground object: the prediction's foreground is the union of all tracks.
      const gtFg = gt.labels.map((v) => (v ? 1 : 0)),
        predFg = pred.map((v) => (v ? 1 : 0));
      J.push(regionJ(gtFg, predFg));
      F.push(boundaryF(gtFg, predFg, gt.width, gt.height));
    }
    scoredSeqs.push(toScoredSequence(name, frames));
    const j = davisStatistics(J),
      fs = davisStatistics(F);
    perSequence.set(name, {
      JMean: j.mean,
      JRecall: j.recall,
      JDecay: j.decay,
      FMean: fs.mean,
      FRecall: fs.recall,
      FDecay: fs.decay,
      JFMean: (j.mean + fs.mean) / 2,
    });
  }
  const all = [...perSequence.values()];
  const avg = (k: keyof JandF) => all.reduce((s, v) => s + v[k], 0) / Math.max(1, all.length);
  const combined: JandF = {
    JMean: avg('JMean'),
    JRecall: avg('JRecall'),
    JDecay: avg('JDecay'),
    FMean: avg('FMean'),
    FRecall: avg('FRecall'),
    FDecay: avg('FDecay'),
    JFMean: (avg('JMean') + avg('FMean')) / 2,
  };
  return {
    kind: 'davis',
    similarity: 'mask IoU',
    ...(range ? { range } : {}),
    ...scoreTracking(scoredSeqs, { perSequence, combined }),
  };
}
