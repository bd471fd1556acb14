import type { TrackingScores } from './score-tracking.js';

const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(1) : '-');

/**
 * The evaluation as a fixed-width text table, one row per sequence and a COMBINED row; rates
 * are percentages (TrackEval prints the same), counts are integers.
 */
export function formatScoresTable(
  sequences: readonly TrackingScores[],
  combined: TrackingScores,
  similarity: 'box IoU' | 'mask IoU',
): string {
  const withJf = combined.jf !== undefined;
  const head = [
    'sequence',
    'HOTA',
    'DetA',
    'AssA',
    'LocA',
    'MOTA',
    'MOTP',
    'IDF1',
    'IDSW',
    'Frag',
    'FP',
    'FN',
    'GT ids',
    'pred ids',
    ...(withJf ? ['J', 'F', 'J&F'] : []),
  ];
  const row = (s: TrackingScores) => [
    s.name,
    pct(s.hota.HOTA),
    pct(s.hota.DetA),
    pct(s.hota.AssA),
    pct(s.hota.LocA),
    pct(s.clear.MOTA),
    pct(s.clear.MOTP),
    pct(s.identity.IDF1),
    String(s.clear.idsw),
    String(s.clear.frag),
    String(s.clear.fp),
    String(s.clear.fn),
    String(s.gtIds),
    String(s.predIds),
    ...(withJf ? [pct(s.jf?.JMean ?? NaN), pct(s.jf?.FMean ?? NaN), pct(s.jf?.JFMean ?? NaN)] : []),
  ];
  const rows = [head, ...(sequences.length > 1 ? sequences.map(row) : []), row(combined)];
  const widths = head.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  const lines = rows.map(line);
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return `${lines.join('\n')}\n(${combined.frames} frames scored, similarity: ${similarity}; HOTA Luiten 2021, CLEAR MOT Bernardin 2008, IDF1 Ristani 2016${withJf ? ', J&F Perazzi 2016' : ''})\n`;
}
