import type { CocoRle } from '../../models/coco-rle.js';

/**
 * MOTS text format (Voigtlaender et al., "MOTS: Multi-Object Tracking and Segmentation", CVPR
 * 2019): one instance per line, space separated, `frame id class_id img_height img_width rle`,
 * where `rle` is the COCO compressed RLE string of the full-frame mask. Masks of one frame must
 * not overlap. Frames here are 1-based like MOTChallenge (KITTI MOTS txt files are 0-based).
 */
export interface MotsRow {
  readonly frame: number;
  readonly id: number;
  readonly classId: number;
  readonly rle: CocoRle;
}

/** Parses a MOTS txt file. @throws Error naming the file and line of a malformed row */
export function parseMots(text: string, source: string): MotsRow[] {
  const rows: MotsRow[] = [];
  text.split(/\r?\n/).forEach((line, n) => {
    const trimmed = line.trim();
    if (!trimmed) return;
    const cols = trimmed.split(' ');
    const nums = cols.slice(0, 5).map(Number);
    if (cols.length !== 6 || nums.some((v) => !Number.isInteger(v))) {
      throw new Error(
        `${source}:${n + 1}: not a MOTS row (need 'frame id class_id img_h img_w rle'): '${trimmed.slice(0, 80)}'`,
      );
    }
    rows.push({ frame: nums[0], id: nums[1], classId: nums[2], rle: { size: [nums[3], nums[4]], counts: cols[5] } });
  });
  return rows;
}

/** Formats one MOTS row. */
export function formatMotsRow(row: MotsRow): string {
  return `${row.frame} ${row.id} ${row.classId} ${row.rle.size[0]} ${row.rle.size[1]} ${row.rle.counts}`;
}
