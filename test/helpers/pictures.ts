// Picture comparisons for the tests that check decoded frames are intact: small grey thumbnails,
// PSNR per horizontal band (a damaged slice shows as one bad band), and a search for the source
// frame a received picture shows (a simulated camera loops its file from wherever it is).
import { firstValueFrom, Observable, toArray } from 'rxjs';
import type { Frame } from '../../models/frame.js';
import { FrameCredit } from '../../operators/backpressure/frame-credit.js';
import { gstreamerFrames } from '../../operators/sources/gstreamer-frames.js';
import type { SourceSpec } from '../../operators/sources/source-spec.js';

/** Thumbnail size, pixels: small enough to search 800 source frames per picture, large enough to see a bad slice. */
export const THUMB_W = 96,
  THUMB_H = 72;

/** A frame's grey thumbnail (box-filtered luma, THUMB_W × THUMB_H, values 0-255). */
export function thumbnail(frame: Pick<Frame, 'rgb' | 'width' | 'height'>): Float32Array {
  const out = new Float32Array(THUMB_W * THUMB_H);
  const counts = new Float32Array(THUMB_W * THUMB_H);
  const { rgb, width, height } = frame;
  for (let y = 0; y < height; y++) {
    const ty = Math.floor((y * THUMB_H) / height);
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3,
        t = ty * THUMB_W + Math.floor((x * THUMB_W) / width);
      out[t] += 0.299 * rgb[i] + 0.587 * rgb[i + 1] + 0.114 * rgb[i + 2];
      counts[t]++;
    }
  }
  for (let t = 0; t < out.length; t++) out[t] /= counts[t] || 1;
  return out;
}

/** PSNR of two thumbnails over rows [fromRow, toRow), dB (Infinity when equal). */
export function psnr(a: Float32Array, b: Float32Array, fromRow = 0, toRow = THUMB_H): number {
  let sum = 0;
  for (let i = fromRow * THUMB_W; i < toRow * THUMB_W; i++) sum += (a[i] - b[i]) ** 2;
  const mse = sum / ((toRow - fromRow) * THUMB_W);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** The PSNR of each of `bands` horizontal bands, top first, dB: a slice of garbage lowers its band's. */
export function bandPsnrs(a: Float32Array, b: Float32Array, bands = 4): number[] {
  return Array.from({ length: bands }, (_, k) =>
    psnr(a, b, Math.round((k * THUMB_H) / bands), Math.round(((k + 1) * THUMB_H) / bands)),
  );
}

/** Share of a frame's pixels that are saturated green (decoded slices without their data: luma only, chroma 0). */
export function greenShare(frame: Pick<Frame, 'rgb' | 'width' | 'height'>): number {
  let green = 0;
  const { rgb } = frame;
  for (let i = 0; i < rgb.length; i += 3) if (rgb[i + 1] > rgb[i] + 60 && rgb[i + 1] > rgb[i + 2] + 60) green++;
  return green / (frame.width * frame.height);
}

/** The source thumbnail a picture shows: the best PSNR over all of them, with its index. */
export function bestMatch(picture: Float32Array, sources: readonly Float32Array[]): { index: number; psnr: number } {
  let best = { index: -1, psnr: -Infinity };
  sources.forEach((s, index) => {
    const p = psnr(picture, s);
    if (p > best.psnr) best = { index, psnr: p };
  });
  return best;
}

/** Every frame of a file decoded by edgevis's own source, as thumbnails (the reference pictures). */
export async function fileThumbnails(path: string): Promise<Float32Array[]> {
  const spec: SourceSpec = {
    cameraId: 'reference',
    kind: 'file',
    source: path,
    realtime: false,
    folderFps: 10,
    rtspLatencyMs: 0,
  };
  return firstValueFrom(collect(spec, Infinity).pipe(toArray()));
}

/** A frame's thumbnail with the share of saturated green pixels of the full frame. */
export type Picture = Float32Array & { green?: number };

/**
 * Thumbnails (and green shares) of the first `count` frames a source delivers through edgevis's
 * own GStreamer source, one frame in flight (as the graph pulls a live camera).
 */
export function collect(spec: SourceSpec, count: number): Observable<Picture> {
  const credit = new FrameCredit(1);
  let seen = 0;
  return new Observable<Picture>((subscriber) => {
    const sub = gstreamerFrames(spec, credit).subscribe({
      next: (frame) => {
        const thumb: Picture = thumbnail(frame);
        thumb.green = greenShare(frame);
        subscriber.next(thumb);
        credit.release();
        if (++seen >= count) {
          subscriber.complete();
          sub.unsubscribe();
        }
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => sub.unsubscribe();
  });
}
