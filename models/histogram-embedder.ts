import type { Detections } from './detections.js';
import { withEmbeddings } from './detections.js';
import type { Embedder } from './embedder.js';

const BINS = 4; // per colour channel
const PART_DIM = BINS * BINS * BINS;

/**
 * Cheap appearance embedding when no re-identification model is configured: two joint RGB
 * histograms (4×4×4 bins) of the pixels inside the instance mask (the box when there is no
 * mask), one for the upper and one for the lower half of the box (clothing colours differ
 * top and bottom), square-rooted (Hellinger kernel, so cosine similarity is the Bhattacharyya
 * coefficient) and L2-normalised. 128 dimensions; about 0.1 ms per person at 768×576.
 */
export class HistogramEmbedder implements Embedder {
  readonly dim = 2 * PART_DIM;
  readonly name = 'histogram';

  async embed(detections: Detections, wanted: Uint8Array | null = null): Promise<Detections> {
    return withEmbeddings(detections, this.embedSync(detections, wanted), this.dim, wanted);
  }

  /**
   * The embeddings of the detections, N × 128, row-major.
   * @param wanted Uint8Array(N): only rows flagged 1 are computed (the others stay zero); null = all
   */
  embedSync(detections: Detections, wanted: Uint8Array | null = null): Float32Array {
    const { frame } = detections;
    const out = new Float32Array(detections.count * this.dim);
    const shift = 8 - Math.log2(BINS);
    for (let i = 0; i < detections.count; i++) {
      if (wanted && !wanted[i]) continue;
      const base = i * this.dim;
      const x0 = Math.max(0, Math.floor(detections.boxes[4 * i])),
        y0 = Math.max(0, Math.floor(detections.boxes[4 * i + 1]));
      const x1 = Math.min(frame.width, Math.ceil(detections.boxes[4 * i + 2])),
        y1 = Math.min(frame.height, Math.ceil(detections.boxes[4 * i + 3]));
      const mid = (y0 + y1) / 2;
      const mask = detections.masks[i];
      // With a mask, only the part of the box it covers (its pixels outside the mask are skipped anyway).
      const ys = mask ? Math.max(y0, mask.top) : y0,
        ye = mask ? Math.min(y1, mask.top + mask.height) : y1;
      const xs = mask ? Math.max(x0, mask.left) : x0,
        xe = mask ? Math.min(x1, mask.left + mask.width) : x1;
      for (let y = ys; y < ye; y++) {
        const part = base + (y < mid ? 0 : PART_DIM);
        const maskRow = mask ? (y - mask.top) * mask.width - mask.left : 0;
        for (let x = xs; x < xe; x++) {
          if (mask && !mask.data[maskRow + x]) continue;
          const p = (y * frame.width + x) * 3;
          const bin =
            ((frame.rgb[p] >> shift) * BINS + (frame.rgb[p + 1] >> shift)) * BINS + (frame.rgb[p + 2] >> shift);
          out[part + bin]++;
        }
      }
      let norm = 0;
      for (let k = 0; k < this.dim; k++) {
        out[base + k] = Math.sqrt(out[base + k]);
        norm += out[base + k] ** 2;
      }
      norm = Math.sqrt(norm) || 1;
      for (let k = 0; k < this.dim; k++) out[base + k] /= norm;
    }
    return out;
  }

  async dispose(): Promise<void> {}
}
