import { paintRle, type CocoRle } from '../../models/coco-rle.js';

/** One instance to paint: its label and its full-frame COCO RLE mask. */
export interface PaintedInstance {
  readonly label: number;
  readonly score: number;
  readonly rle: CocoRle;
}

/**
 * Paints instance masks into one non-overlapping label map (row-major, `height × width`, 0 =
 * background), as DAVIS PNGs and MOTS files require. Where masks overlap, the higher-scoring
 * instance wins (painted last); ties go to the lower label, so the result is deterministic.
 * @throws Error when a mask's size differs from width × height
 */
export function paintLabelMap(
  instances: readonly PaintedInstance[],
  width: number,
  height: number,
): Uint8Array | Uint16Array {
  const maxLabel = instances.reduce((m, i) => Math.max(m, i.label), 0);
  const map = maxLabel > 255 ? new Uint16Array(width * height) : new Uint8Array(width * height);
  const order = [...instances].sort((a, b) => a.score - b.score || b.label - a.label);
  for (const inst of order) {
    if (inst.rle.size[0] !== height || inst.rle.size[1] !== width) {
      throw new Error(
        `mask of label ${inst.label} is ${inst.rle.size[1]}x${inst.rle.size[0]}, frame is ${width}x${height}`,
      );
    }
    paintRle(inst.rle, map, inst.label); // only the mask's pixels are visited
  }
  return map;
}

/**
 * The COCO run lengths (column-major, starting with 0s; see {@link fullMaskToRunLengths}) of the
 * mask of every label > 0 in a row-major label map, in one pass over the map: at each change of
 * label down a column, only the two labels involved change state.
 * @returns label → run lengths; labels absent from the map are absent
 */
export function labelRunLengths(map: ArrayLike<number>, width: number, height: number): Map<number, number[]> {
  const runs = new Map<number, number[]>();
  const runStart = new Map<number, number>(); // column-major position where the label's current run began
  let previous = 0;
  for (let x = 0, pos = 0; x < width; x++) {
    for (let y = 0; y < height; y++, pos++) {
      const label = map[y * width + x];
      if (label === previous) continue;
      if (previous !== 0) {
        runs.get(previous)!.push(pos - runStart.get(previous)!);
        runStart.set(previous, pos);
      } // its 1s end
      if (label !== 0) {
        let r = runs.get(label);
        if (!r) {
          r = [];
          runs.set(label, r);
          runStart.set(label, 0);
        }
        r.push(pos - runStart.get(label)!); // its 0s end
        runStart.set(label, pos);
      }
      previous = label;
    }
  }
  for (const [label, r] of runs) r.push(width * height - runStart.get(label)!);
  return runs;
}

/** The row-major 0/1 mask of one label in a label map (see {@link labelRunLengths} for its RLE). */
export function labelMask(map: ArrayLike<number>, label: number): Uint8Array {
  const out = new Uint8Array(map.length);
  for (let k = 0; k < map.length; k++) out[k] = map[k] === label ? 1 : 0;
  return out;
}
