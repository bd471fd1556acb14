/**
 * MOTChallenge text format (Milan et al., "MOT16: A Benchmark for Multi-Object Tracking", 2016;
 * MOT15 layout): one box per line, comma separated,
 * `frame,id,bb_left,bb_top,bb_width,bb_height,conf,x,y,z` with 1-based frames and boxes in
 * pixels (top-left origin). In ground truth, `conf` 0 marks a zero-marked (ignored) box; from
 * MOT16 on, column 8 is the class and column 9 the visibility.
 */
export interface MotRow {
  /** 1-based frame number. */
  readonly frame: number;
  readonly id: number;
  /** Box left, top, width, height in pixels. */
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
  /** Detection confidence (predictions) or the zero-marked flag (ground truth: 0 = ignore). */
  readonly conf: number;
  /** Column 8: class id in MOT16+ ground truth, −1 (or world x) otherwise. */
  readonly classId: number;
}

/**
 * Parses a MOTChallenge file (gt.txt or a tracker result). Blank lines are skipped; a row
 * with fewer than 7 numeric columns is an error.
 * @param source file name used in error messages
 * @throws Error naming the file and line
 */
export function parseMotChallenge(text: string, source: string): MotRow[] {
  const rows: MotRow[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    const cols = trimmed.split(/[,\s]+/).map(Number);
    if (cols.length < 7 || cols.slice(0, 7).some((v) => !Number.isFinite(v))) {
      throw new Error(
        `${source}:${n + 1}: not a MOTChallenge row (need frame,id,left,top,width,height,conf[,...]): '${trimmed.slice(0, 80)}'`,
      );
    }
    if (!Number.isInteger(cols[0]) || cols[0] < 1)
      throw new Error(`${source}:${n + 1}: frame must be a 1-based integer, got ${cols[0]}`);
    rows.push({
      frame: cols[0],
      id: cols[1],
      left: cols[2],
      top: cols[3],
      width: cols[4],
      height: cols[5],
      conf: cols[6],
      classId: cols.length > 7 && Number.isFinite(cols[7]) ? cols[7] : -1,
    });
  });
  return rows;
}

/** Formats one tracker row as MOTChallenge writes results: `frame,id,left,top,w,h,conf,-1,-1,-1`. */
export function formatMotRow(row: Omit<MotRow, 'classId'>): string {
  return `${row.frame},${row.id},${row.left},${row.top},${row.width},${row.height},${row.conf},-1,-1,-1`;
}

/** Groups rows by frame number. */
export function rowsByFrame<T extends { frame: number }>(rows: readonly T[]): Map<number, T[]> {
  const byFrame = new Map<number, T[]>();
  for (const r of rows) {
    const list = byFrame.get(r.frame);
    if (list) list.push(r);
    else byFrame.set(r.frame, [r]);
  }
  return byFrame;
}
