import ort from 'onnxruntime-node';
import { cropResizeNormalise } from './crop-resize.js';
import type { Detections } from './detections.js';
import { withEmbeddings } from './detections.js';
import type { Embedder } from './embedder.js';
import { loadOnnxModel, ModelLoadError, type ExecutionProvider } from './onnx-session.js';

/** Crops per onnxruntime call; bounds memory (32 × 3 × 256 × 128 floats = 12 MiB) for crowded frames. */
export const MAX_CROP_BATCH = 32;

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
  private batchInput: Float32Array = new Float32Array(0);
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
  static async load(
    path: string,
    providers: readonly ExecutionProvider[],
    intraOpThreads = 0,
  ): Promise<{ embedder: OsnetEmbedder; fallbacks: readonly { provider: string; reason: string }[] }> {
    const loaded = await loadOnnxModel(path, providers, intraOpThreads);
    const session = loaded.session;
    const inMeta = session.inputMetadata[0],
      outMeta = session.outputMetadata[0];
    const inShape = inMeta?.isTensor ? inMeta.shape : [],
      outShape = outMeta?.isTensor ? outMeta.shape : [];
    const [h, w, d] = [Number(inShape[2]), Number(inShape[3]), Number(outShape[1])];
    if (
      session.inputNames.length !== 1 ||
      inShape.length !== 4 ||
      Number(inShape[1]) !== 3 ||
      !(h > 0 && w > 0) ||
      outShape.length !== 2 ||
      !(d > 0)
    ) {
      await session.release();
      throw new ModelLoadError(
        'wrong-kind',
        `model ${path} is not a re-identification embedder with input [N,3,H,W] and output [N,D] (got ${JSON.stringify(inShape)} → ${JSON.stringify(outShape)})`,
      );
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
  async embedBoxes(
    detections: Pick<Detections, 'frame' | 'count' | 'boxes'>,
    wanted: Uint8Array | null = null,
  ): Promise<Float32Array> {
    const out = new Float32Array(detections.count * this.dim);
    const rows = wantedRows(detections.count, wanted);
    for (let start = 0; start < rows.length; start += MAX_CROP_BATCH) {
      const batch = rows.slice(start, start + MAX_CROP_BATCH);
      const input = (this.batchInput = cropBatch(
        detections,
        batch,
        this.inputWidth,
        this.inputHeight,
        this.batchInput,
      ));
      setUnitRows(await this.infer(input, batch.length), this.dim, batch, out);
    }
    return out;
  }

  /**
   * Runs the model alone on a batch of prepared crops (see {@link cropBatch}).
   * @param input at least n × 3 × inputHeight × inputWidth floats
   * @param into output buffer of at least n × dim floats to write into (reused across calls), or a new one
   * @returns the raw (not normalised) features, n × dim
   */
  async infer(input: Float32Array, n: number, into?: Float32Array): Promise<Float32Array> {
    const [inputName] = this.session.inputNames,
      [outputName] = this.session.outputNames;
    const feeds = {
      [inputName]: new ort.Tensor('float32', input.subarray(0, n * 3 * this.inputHeight * this.inputWidth), [
        n,
        3,
        this.inputHeight,
        this.inputWidth,
      ]),
    };
    if (into) {
      const features = into.subarray(0, n * this.dim);
      await this.session.run(feeds, { [outputName]: new ort.Tensor('float32', features, [n, this.dim]) });
      return features;
    }
    return (await this.session.run(feeds))[outputName].data as Float32Array;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/** The indices of the instances to embed: those flagged in `wanted`, or all 0..count-1. */
export function wantedRows(count: number, wanted: Uint8Array | null): number[] {
  const rows: number[] = [];
  for (let i = 0; i < count; i++) if (!wanted || wanted[i]) rows.push(i);
  return rows;
}

/**
 * Crops, resizes and normalises the boxes of `rows` into a batch input [rows.length, 3, H, W]
 * ({@link cropResizeNormalise}: bilinear, ImageNet-normalised, as torchreid models expect).
 * @param reuse a buffer to write into when it is large enough (returned), else a new one is
 * @returns the buffer holding the batch (it may be longer than the batch)
 */
export function cropBatch(
  detections: Pick<Detections, 'frame' | 'boxes'>,
  rows: readonly number[],
  inputWidth: number,
  inputHeight: number,
  reuse?: Float32Array,
): Float32Array {
  const { frame, boxes } = detections;
  const crop = 3 * inputHeight * inputWidth;
  const input = reuse && reuse.length >= rows.length * crop ? reuse : new Float32Array(rows.length * crop);
  rows.forEach((row, i) => {
    cropResizeNormalise(frame.rgb, frame.width, frame.height, boxes, 4 * row, inputWidth, inputHeight, input, i * crop);
  });
  return input;
}

/** Writes each feature row (n × dim) divided by its L2 norm into `out` at row `rows[i]` (a zero row stays zero). */
export function setUnitRows(features: Float32Array, dim: number, rows: readonly number[], out: Float32Array): void {
  rows.forEach((row, i) => {
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += features[i * dim + k] ** 2;
    const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = 0; k < dim; k++) out[row * dim + k] = features[i * dim + k] * inv;
  });
}
