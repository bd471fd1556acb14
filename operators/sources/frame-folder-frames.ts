import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import jpeg from 'jpeg-js';
import { Observable } from 'rxjs';
import type { Frame } from '../../models/frame.js';
import type { FrameCredit } from '../backpressure/frame-credit.js';
import { SourceError } from './source-error.js';
import type { SourceProgress, SourceSpec } from './source-spec.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

/** Sorted image file names of a frame folder (YouTube-VIS `JPEGImages/<video>/`, DAVIS `JPEGImages/480p/<seq>/`). */
export async function listFrameFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  return names
    .filter((n) => IMAGE_EXTENSIONS.has(extname(n).toLowerCase()))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/** Decodes a JPEG or PNG file into packed RGB. @throws Error naming the file when it is not a decodable image. */
export async function readImageRgb(path: string): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const bytes = await readFile(path);
  if (extname(path).toLowerCase() === '.png') {
    const png = decodePng(bytes);
    const channels = png.channels;
    const rgb = new Uint8Array(png.width * png.height * 3);
    for (let i = 0, j = 0; i < png.width * png.height; i++, j += channels) {
      const v = png.data;
      rgb[3 * i] = Number(v[j]);
      rgb[3 * i + 1] = Number(v[channels >= 3 ? j + 1 : j]);
      rgb[3 * i + 2] = Number(v[channels >= 3 ? j + 2 : j]);
    }
    return { width: png.width, height: png.height, rgb };
  }
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 1024 });
  return { width: img.width, height: img.height, rgb: img.data };
}

/**
 * Frames of a folder of JPEG/PNG images in natural file-name order; frame index = position in
 * that order, media time = index / folderFps. With `realtime`, frames are released at the
 * folder's frame rate and a slow consumer sees only the newest (like a camera); otherwise each
 * frame waits for a credit. A frame that cannot be decoded is skipped (counted in
 * `progress.corruptFrames`, reported through `progress.onWarning`); the source errors with
 * `undecodable` only when no frame at all could be decoded.
 * @param progress receives the number of frames the folder will deliver
 */
export function frameFolderFrames(
  spec: SourceSpec,
  credit?: FrameCredit,
  progress?: SourceProgress,
): Observable<Frame> {
  return new Observable<Frame>((subscriber) => {
    let closed = false;
    (async () => {
      let files: string[];
      try {
        files = await listFrameFiles(spec.source);
      } catch (err) {
        const errno = (err as NodeJS.ErrnoException).code;
        throw new SourceError(
          errno === 'EACCES' || errno === 'EPERM' ? 'permission-denied' : 'not-found',
          spec.cameraId,
          spec.source,
          `frame folder cannot be read (${errno})`,
          'Check the folder path.',
        );
      }
      if (files.length === 0)
        throw new SourceError(
          'empty',
          spec.cameraId,
          spec.source,
          'frame folder holds no .jpg/.jpeg/.png files',
          'Point the source at the folder with the frames of one video.',
        );
      const total = Math.min(files.length, spec.maxFrames ?? Infinity);
      if (progress) progress.expectedFrames = total;
      const started = performance.now();
      let delivered = 0,
        corrupt = 0;
      for (let i = 0; i < total && !closed; i++) {
        const ptsMs = Math.round((i * 1e6) / spec.folderFps) / 1e3;
        if (spec.realtime) {
          const wait = started + ptsMs - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        } else if (credit) await credit.acquire();
        if (closed) {
          credit?.release();
          return;
        }
        let img: Awaited<ReturnType<typeof readImageRgb>>;
        try {
          img = await readImageRgb(join(spec.source, files[i]));
        } catch (err) {
          // One corrupt frame is not the end of the video: skip it (its index stays unused), count it, say so.
          corrupt++;
          if (progress) progress.corruptFrames++;
          progress?.onWarning?.(
            new SourceError(
              'undecodable',
              spec.cameraId,
              join(spec.source, files[i]),
              `frame ${i} is not a decodable image (${(err as Error).message}); skipped`,
              'Remove or replace the corrupt file.',
            ),
          );
          if (!spec.realtime) credit?.release(); // the credit taken for this frame
          continue;
        }
        delivered++;
        subscriber.next({
          cameraId: spec.cameraId,
          frameIndex: i,
          ptsMs,
          width: img.width,
          height: img.height,
          frameIntervalMs: 1000 / spec.folderFps,
          rgb: img.rgb,
          timing: { receivedAt: performance.now() },
        });
      }
      if (!closed && delivered === 0 && corrupt > 0) {
        throw new SourceError(
          'undecodable',
          spec.cameraId,
          spec.source,
          `none of the ${corrupt} images could be decoded`,
          'Check that the folder holds JPEG or PNG frames.',
        );
      }
      subscriber.complete();
    })().catch((err) => {
      if (!closed) subscriber.error(err);
    });
    return () => {
      closed = true;
    };
  });
}
