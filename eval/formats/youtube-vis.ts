import type { CocoRle } from '../../models/coco-rle.js';

/**
 * One instance of a YouTube-VIS results file (Yang et al., "Video Instance Segmentation", ICCV
 * 2019; the format `YTVOSeval` reads): a whole track over one video, with one COCO RLE (or null
 * where the track is absent) per frame of the video, in frame order.
 */
export interface YtvisResult {
  readonly video_id: number;
  readonly category_id: number;
  readonly segmentations: (CocoRle | null)[];
  readonly score: number;
}

/**
 * Parses and checks a YouTube-VIS results JSON.
 * @throws Error naming the file when it is not an array of results with per-frame RLEs
 */
export function parseYtvisResults(text: string, source: string): YtvisResult[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: not JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(data))
    throw new Error(
      `${source}: a YouTube-VIS results file is a JSON array of {video_id, category_id, segmentations, score}`,
    );
  data.forEach((r: Partial<YtvisResult>, i) => {
    const ok =
      typeof r === 'object' &&
      r !== null &&
      Number.isInteger(r.video_id) &&
      Number.isInteger(r.category_id) &&
      typeof r.score === 'number' &&
      Array.isArray(r.segmentations) &&
      r.segmentations.every((s) => s === null || (Array.isArray(s.size) && typeof s.counts === 'string'));
    if (!ok)
      throw new Error(
        `${source}: result ${i} lacks video_id, category_id, score or per-frame segmentations (RLE or null)`,
      );
  });
  return data as YtvisResult[];
}
