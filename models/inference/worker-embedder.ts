import type { Detections } from '../detections.js';
import { withEmbeddings } from '../detections.js';
import type { Embedder } from '../embedder.js';
import type { ExecutionProvider } from '../onnx-session.js';
import { cropBatch, MAX_CROP_BATCH, setUnitRows, wantedRows } from '../osnet-embedder.js';
import { buffersOf, type EmbedderLoaded, type RawEmbeddingsPayload } from './inference-protocol.js';
import type { InferenceDispatch } from './inference-pool.js';
import { retryIfWorkerLost } from './inference-queue.js';

/** Crop and feature buffers kept for reuse. */
const BUFFER_POOL = 4;

/**
 * An OSNet embedder whose model runs in the inference worker. The worker only runs the model:
 * crops are cut, resized and normalised here, on the calling thread, and the features are
 * L2-normalised here, so the frame's pixels never leave this thread; the crop batch and the
 * feature buffer move to the worker and back without copies and are reused. Its jobs go before
 * waiting segmentations (priority 0), so an older frame is finished first; a crowded frame's
 * batches (≤ 32 crops each) may run in several CPU streams at once.
 */
export class WorkerEmbedder implements Embedder {
  readonly name = 'osnet';
  private readonly pool: { tensor: Float32Array; features: Float32Array }[] = [];
  private constructor(
    private readonly queue: InferenceDispatch,
    private readonly model: number,
    readonly dim: number,
    readonly executionProvider: ExecutionProvider,
    private readonly inputWidth: number,
    private readonly inputHeight: number,
  ) {}

  /**
   * Loads an OSNet export in the worker.
   * @throws ModelLoadError (rejects) when the file is missing, corrupt, or not [N,3,H,W] → [N,D]
   */
  static async load(
    queue: InferenceDispatch,
    path: string,
    providers: readonly ExecutionProvider[],
    intraOpThreads: number,
  ): Promise<{ embedder: WorkerEmbedder; fallbacks: EmbedderLoaded['fallbacks'] }> {
    const loaded = await retryIfWorkerLost(() =>
      queue.call<EmbedderLoaded>({ kind: 'load-embedder', path, providers, intraOpThreads }),
    );
    return {
      embedder: new WorkerEmbedder(
        queue,
        loaded.model,
        loaded.dim,
        loaded.executionProvider,
        loaded.inputWidth,
        loaded.inputHeight,
      ),
      fallbacks: loaded.fallbacks,
    };
  }

  async embed(detections: Detections, wanted: Uint8Array | null = null): Promise<Detections> {
    const out = new Float32Array(detections.count * this.dim);
    const rows = wantedRows(detections.count, wanted);
    const batches: number[][] = [];
    for (let start = 0; start < rows.length; start += MAX_CROP_BATCH)
      batches.push(rows.slice(start, start + MAX_CROP_BATCH));
    // A batch whose worker exited under it is cropped and run again on the worker that replaced it.
    await Promise.all(
      batches.map((batch) =>
        retryIfWorkerLost(async () => {
          const buffers = this.pool.pop() ?? { tensor: new Float32Array(0), features: new Float32Array(0) };
          const tensor = cropBatch(detections, batch, this.inputWidth, this.inputHeight, buffers.tensor);
          const features =
            buffers.features.length >= batch.length * this.dim
              ? buffers.features
              : new Float32Array(batch.length * this.dim);
          const raw = await this.queue.call<RawEmbeddingsPayload>(
            { kind: 'infer-embedder', model: this.model, tensor, count: batch.length, features },
            buffersOf(tensor, features),
            0,
          );
          setUnitRows(raw.features, this.dim, batch, out);
          if (this.pool.length < BUFFER_POOL) this.pool.push({ tensor: raw.tensor, features: raw.features });
        }),
      ),
    );
    return withEmbeddings(detections, out, this.dim, wanted);
  }

  async dispose(): Promise<void> {
    await this.queue.call({ kind: 'dispose', model: this.model }).catch(() => undefined);
  }
}
