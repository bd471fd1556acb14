import { decode as decodePng, encode as encodePng } from 'fast-png';

/**
 * The DAVIS / PASCAL VOC colour palette: colour of label i from the bits of i spread over the
 * high bits of R, G, B (the `bitget` colormap of the VOC devkit, used by DAVIS 2017 PNGs).
 */
export function davisPalette(size = 256): [number, number, number][] {
  const palette: [number, number, number][] = [];
  for (let i = 0; i < size; i++) {
    let r = 0,
      g = 0,
      b = 0,
      c = i;
    for (let j = 0; j < 8; j++) {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    palette.push([r, g, b]);
  }
  return palette;
}

const PALETTE = davisPalette();

/**
 * Encodes a label map (row-major, values 0..255, 0 = background) as a DAVIS-style indexed
 * (palette) 8-bit PNG, pixel value = label.
 * @throws RangeError when a label exceeds 255
 */
export function encodeIndexedPng(labels: ArrayLike<number>, width: number, height: number): Uint8Array {
  let data: Uint8Array;
  if (labels instanceof Uint8Array && labels.length === width * height)
    data = labels; // already 8-bit: no copy, no check
  else {
    data = new Uint8Array(width * height);
    for (let k = 0; k < data.length; k++) {
      if (labels[k] > 255) throw new RangeError(`label ${labels[k]} does not fit an 8-bit indexed PNG`);
      data[k] = labels[k];
    }
  }
  return encodePng({ width, height, data, depth: 8, channels: 1, palette: PALETTE });
}

/**
 * Reads a mask PNG as a label map: indexed PNGs give their palette indices (DAVIS 2017), grey
 * PNGs their grey values (DAVIS 2016 uses 0 / 255); colour PNGs are rejected.
 * @throws Error naming `source` when the PNG is not a single-channel label image
 */
export function decodeLabelPng(
  bytes: Uint8Array,
  source: string,
): { width: number; height: number; labels: Uint8Array } {
  let png: ReturnType<typeof decodePng>;
  try {
    png = decodePng(bytes);
  } catch (err) {
    throw new Error(`${source}: not a PNG (${(err as Error).message})`);
  }
  if (png.channels !== 1 || png.depth !== 8) {
    throw new Error(
      `${source}: expected an 8-bit indexed or grey mask PNG, got ${png.channels} channel(s) at ${png.depth} bits`,
    );
  }
  return { width: png.width, height: png.height, labels: Uint8Array.from(png.data as Uint8Array) };
}
