import ort from 'onnxruntime-node';
import { cropResizeNormalise } from './crop-resize.js';
import type { Detections } from './detections.js';
import { withEmbeddings } from './detections.js';
import type { Embedder } from './embedder.js';
import { loadOnnxModel, ModelLoadError, type ExecutionProvider } from './onnx-session.js';

/** Crops per onnxruntime call; bounds memory (32 × 3 × 256 × 128 floats = 12 MiB) for crowded frames. */
const MAX_BATCH = 32;

/**
 * Person re-identification embeddings from OSNet (Zhou et al., "Omni-Scale Feature Learning for
 * Person Re-Identification", ICCV 2019), a torchreid / boxmot ONNX export: input
 * `[batch, 3, 256, 128]` (RGB, ImageNet-normalised box crops, H 256 × W 128), output
 * `[batch, D]` (D = 512 for osnet_x0_25), L2-normalised here so cosine similarity is a dot product.
 * The detections of a frame (all, or those the tracker asks for) go through in batches of up to 32 crops.
 */
export class OsnetEmbedder implements Embedder {
  readonly name = 'osnet';
  /** Crop batch input, reused across frames (allocating ~0.4 MB per crop kept the garbage collector busy). */
  private batchInput = new Float32Array(0);
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly dim: number,
    readonly inputHeight: number,
    readonly inputWidth: number,
    readonly executionProvider: ExecutionProvider,
  ) {}

  /**
   * Loads an OSNet export and checks its signature.
   * @throws ModelLoadError when the file is missing, corrupt, or not [N,3,H,W] → [N,D]
   */
  static async load(path: string, providers: readonly ExecutionProvider[], intraOpThreads = 0): Promise<{ embedder: OsnetEmbedder; fallbacks: readonly { provider: string; reason: string }[] }> {
    const loaded = await loadOnnxModel(path, providers, intraOpThreads);
    const session = loaded.session;
    const inMeta = session.inputMetadata[0], outMeta = session.outputMetadata[0];
    const inShape = inMeta?.isTensor ? inMeta.shape : [], outShape = outMeta?.isTensor ? outMeta.shape : [];
    const [h, w, d] = [Number(inShape[2]), Number(inShape[3]), Number(outShape[1])];
    if (session.inputNames.length !== 1 || inShape.length !== 4 || Number(inShape[1]) !== 3 || !(h > 0 && w > 0) || outShape.length !== 2 || !(d > 0)) {
      await session.release();
      throw new ModelLoadError('wrong-kind', `model ${path} is not a re-identification embedder with input [N,3,H,W] and output [N,D] (got ${JSON.stringify(inShape)} → ${JSON.stringify(outShape)})`);
    }
    return { embedder: new OsnetEmbedder(session, d, h, w, loaded.executionProvider), fallbacks: loaded.fallbacks };
  }

  async embed(detections: Detections, wanted: Uint8Array | null = null): Promise<Detections> {
    return withEmbeddings(detections, await this.embedBoxes(detections, wanted), this.dim, wanted);
  }

  /**
   * Embeddings of the detection boxes, N × dim row-major, each row of unit length.
   * @param wanted Uint8Array(N): only rows flagged 1 are computed (the others stay zero); null = all
   */
  async embedBoxes(detections: Pick<Detections, 'frame' | 'count' | 'boxes'>, wanted: Uint8Array | null = null): Promise<Float32Array> {
    const { frame, count, boxes } = detections;
    const out = new Float32Array(count * this.dim);
    const rows: number[] = [];
    for (let i = 0; i < count; i++) if (!wanted || wanted[i]) rows.push(i);
    const crop = 3 * this.inputHeight * this.inputWidth;
    for (let start = 0; start < rows.length; start += MAX_BATCH) {
      const n = Math.min(MAX_BATCH, rows.length - start);
      if (this.batchInput.length < n * crop) this.batchInput = new Float32Array(n * crop); // grows to the largest batch seen, then reused
      const input = this.batchInput.subarray(0, n * crop);
      for (let i = 0; i < n; i++) {
        cropResizeNormalise(frame.rgb, frame.width, frame.height, boxes, 4 * rows[start + i], this.inputWidth, this.inputHeight, input, i * crop);
      }
      const result = await this.session.run({ [this.session.inputNames[0]]: new ort.Tensor('float32', input, [n, 3, this.inputHeight, this.inputWidth]) });
      const features = result[this.session.outputNames[0]].data as Float32Array;
      for (let i = 0; i < n; i++) {
        let norm = 0;
        for (let k = 0; k < this.dim; k++) norm += features[i * this.dim + k] ** 2;
        const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
        const row = rows[start + i] * this.dim;
        for (let k = 0; k < this.dim; k++) out[row + k] = features[i * this.dim + k] * inv;
      }
    }
    return out;
  }

  async dispose(): Promise<void> { await this.session.release(); }
}
