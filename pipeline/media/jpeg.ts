import sharp from 'sharp';

// libvips: one thread per picture is enough (pictures are few), and it must not compete with ONNX Runtime's threads.
sharp.concurrency(1);
sharp.cache(false);

/**
 * Encodes packed RGB (`width × height × 3` bytes, row-major) as JPEG with libvips (sharp), on a
 * libuv thread: ~5-10 ms for 768×576 on the 2-core machine, against 20-30 ms of JavaScript for
 * jpeg-js. `overlaySvg`, when given, is an SVG of the frame's size drawn over the picture.
 * @param quality 1-100
 * @throws (rejects) when the buffer does not hold `width × height × 3` bytes
 */
export function encodeJpeg(
  rgb: Uint8Array,
  width: number,
  height: number,
  quality: number,
  overlaySvg?: string,
): Promise<Buffer> {
  let image = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (overlaySvg) image = image.composite([{ input: Buffer.from(overlaySvg), top: 0, left: 0 }]);
  return image.jpeg({ quality }).toBuffer();
}
