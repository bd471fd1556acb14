import type { Detections } from '../detections.js';
import { withEmbeddings } from '../detections.js';
import type { Embedder } from '../embedder.js';
import type { ExecutionProvider } from '../onnx-session.js';
import { buffersOf, frameOf, framePixels, type EmbedderLoaded, type EmbeddingsPayload } from './inference-protocol.js';
import type { InferenceDispatch } from './inference-pool.js';

/**
 * An {@link OsnetEmbedder} that runs in the inference worker: crops, normalisation, inference and
 * L2 normalisation happen there; the frame's pixels move there and back (the returned detections
 * hold a new Frame over the same pixels). Its jobs go before waiting segmentations (priority 0), so
 * an older frame is finished first.
 */
export class WorkerEmbedder implements Embedder {
  readonly name = 'osnet';
  private constructor(private readonly queue: InferenceDispatch, private readonly model: number, readonly dim: number, readonly executionProvider: ExecutionProvider) {}

  /**
   * Loads an OSNet export in the worker.
   * @throws ModelLoadError (rejects) when the file is missing, corrupt, or not [N,3,H,W] → [N,D]
   */
  static async load(queue: InferenceDispatch, path: string, providers: readonly ExecutionProvider[], intraOpThreads: number): Promise<{ embedder: WorkerEmbedder; fallbacks: EmbedderLoaded['fallbacks'] }> {
    const loaded = await queue.call<EmbedderLoaded>({ kind: 'load-embedder', path, providers, intraOpThreads });
    return { embedder: new WorkerEmbedder(queue, loaded.model, loaded.dim, loaded.executionProvider), fallbacks: loaded.fallbacks };
  }

  async embed(detections: Detections, wanted: Uint8Array | null = null): Promise<Detections> {
    // Nothing to embed: no trip to the worker (the pixels stay here).
    if (detections.count === 0 || (wanted && !wanted.includes(1))) return withEmbeddings(detections, new Float32Array(detections.count * this.dim), this.dim, wanted);
    const pixels = framePixels(detections.frame);
    // The boxes and flags are copied (the tracker still needs them here); the pixels move.
    const e = await this.queue.call<EmbeddingsPayload>({ kind: 'embed', model: this.model, frame: pixels, boxes: detections.boxes.slice(), count: detections.count, wanted: wanted?.slice() ?? null }, buffersOf(pixels), 0);
    return withEmbeddings({ ...detections, frame: frameOf(e.frame, detections.frame.timing) }, e.embeddings, this.dim, wanted);
  }

  async dispose(): Promise<void> { await this.queue.call({ kind: 'dispose', model: this.model }).catch(() => undefined); }
}
