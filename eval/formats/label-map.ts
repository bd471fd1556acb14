import { decodeRle, type CocoRle } from '../../models/coco-rle.js';

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
export function paintLabelMap(instances: readonly PaintedInstance[], width: number, height: number): Uint8Array | Uint16Array {
  const maxLabel = instances.reduce((m, i) => Math.max(m, i.label), 0);
  const map = maxLabel > 255 ? new Uint16Array(width * height) : new Uint8Array(width * height);
  const order = [...instances].sort((a, b) => a.score - b.score || b.label - a.label);
  for (const inst of order) {
    if (inst.rle.size[0] !== height || inst.rle.size[1] !== width) {
      throw new Error(`mask of label ${inst.label} is ${inst.rle.size[1]}x${inst.rle.size[0]}, frame is ${width}x${height}`);
    }
    const mask = decodeRle(inst.rle);
    for (let k = 0; k < mask.length; k++) if (mask[k]) map[k] = inst.label;
  }
  return map;
}

/** The row-major 0/1 mask of one label in a label map. */
export function labelMask(map: ArrayLike<number>, label: number): Uint8Array {
  const out = new Uint8Array(map.length);
  for (let k = 0; k < map.length; k++) out[k] = map[k] === label ? 1 : 0;
  return out;
}
