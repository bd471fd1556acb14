import type { ExecutionProvider } from '../onnx-session.js';
import type { InferenceRequest, LoadedModelInfo } from './inference-protocol.js';
import { InferenceQueue, type WorkerRestart } from './inference-queue.js';

/** What a model adapter needs to send jobs: an {@link InferenceQueue} or an {@link InferencePool}. */
export interface InferenceDispatch {
  /** @see InferenceQueue.call */
  call<T>(request: InferenceRequest, transfer?: readonly ArrayBuffer[], priority?: number): Promise<T>;
}

/**
 * Several inference queues (worker threads) for the CPU: "streams" as in OpenVINO's throughput
 * mode. A CPU model is loaded into every stream (each session with cores / streams intra-op
 * threads) and each job goes to the stream with the fewest jobs waiting, so consecutive frames
 * (or cameras) are inferred in parallel instead of one inference spreading over every core:
 * on 2 cores, 2 streams × 1 thread ran the segmenter at 125 frames/s against 95 for 1 stream ×
 * 2 threads (ONNX Runtime's threads synchronise within an operator; separate frames need not).
 * A model that loads on a GPU stays in the first stream only, so GPU sessions still never run at
 * the same time (onnxruntime issue 32561: one queue per device).
 *
 * Model handles returned by loads are the pool's own; it maps them to each stream's handle.
 */
export class InferencePool implements InferenceDispatch {
  private readonly queues: InferenceQueue[];
  /** Pool handle → the stream-local handle of each stream holding the model (index = stream). */
  private readonly handles = new Map<number, (number | undefined)[]>();
  private nextHandle = 1;

  /**
   * @param streams worker threads for CPU models (≥ 1), started with the first load
   * @param onRestart told when a stream's worker exited on its own and was replaced (see InferenceQueue)
   */
  constructor(
    readonly streams: number,
    private readonly onRestart?: (stream: number, restart: WorkerRestart) => void,
  ) {
    if (!Number.isInteger(streams) || streams < 1)
      throw new Error(`inference streams must be a positive integer, got ${streams}`);
    this.queues = [this.startStream(0)];
  }

  async call<T>(request: InferenceRequest, transfer: readonly ArrayBuffer[] = [], priority = 1): Promise<T> {
    switch (request.kind) {
      case 'load-segmenter':
      case 'load-embedder':
        return this.load(request) as Promise<T>;
      case 'dispose': {
        const local = this.handles.get(request.model) ?? [];
        this.handles.delete(request.model);
        await Promise.all(
          local.map((h, s) => (h === undefined ? undefined : this.queues[s].call({ kind: 'dispose', model: h }))),
        );
        return null as T;
      }
      case 'infer-segmenter':
      case 'infer-embedder': {
        const local = this.handles.get(request.model);
        if (!local) throw new Error(`model ${request.model} is not loaded`);
        // The least busy stream holding the model; a stream that gave up on its worker only when no other holds it.
        let best = -1;
        const rank = (s: number) => (this.queues[s].usable ? 0 : Infinity) + this.queues[s].depth;
        local.forEach((h, s) => {
          if (h !== undefined && (best < 0 || rank(s) < rank(best))) best = s;
        });
        return this.queues[best].call<T>({ ...request, model: local[best]! }, transfer, priority);
      }
      case 'exit':
        return this.queues[request.stream ?? 0].call<T>(request, transfer, priority);
      default:
        return this.queues[0].call<T>(request, transfer, priority);
    }
  }

  /** Loads into the first stream; a CPU model is then loaded into every other stream too. */
  private async load(
    request: Extract<InferenceRequest, { kind: 'load-segmenter' | 'load-embedder' }>,
  ): Promise<LoadedModelInfo> {
    const first = await this.queues[0].call<LoadedModelInfo>(request);
    const local: (number | undefined)[] = [first.model];
    if (first.executionProvider === ('cpu' satisfies ExecutionProvider) && this.streams > 1) {
      // Only the provider that loaded is tried again: the others already failed in the first stream.
      const onCpu: typeof request =
        request.kind === 'load-segmenter'
          ? { ...request, options: { ...request.options, executionProviders: ['cpu'] } }
          : { ...request, providers: ['cpu'] };
      while (this.queues.length < this.streams) this.queues.push(this.startStream(this.queues.length));
      const others = await Promise.allSettled(this.queues.slice(1).map((q) => q.call<LoadedModelInfo>(onCpu)));
      const failed = others.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (failed) {
        // nothing half-loaded stays behind
        const loaded = [first.model, ...others.map((o) => (o.status === 'fulfilled' ? o.value.model : undefined))];
        await Promise.all(
          loaded.map((h, s) =>
            h === undefined ? undefined : this.queues[s].call({ kind: 'dispose', model: h }).catch(() => undefined),
          ),
        );
        throw failed.reason;
      }
      for (const o of others) local.push((o as PromiseFulfilledResult<LoadedModelInfo>).value.model);
    }
    const handle = this.nextHandle++;
    this.handles.set(handle, local);
    return { ...first, model: handle };
  }

  private startStream(stream: number): InferenceQueue {
    return InferenceQueue.start(this.onRestart && ((restart) => this.onRestart!(stream, restart)));
  }

  /** Ends every stream's worker; jobs still out reject. Idempotent. */
  async close(): Promise<void> {
    await Promise.all(this.queues.map((q) => q.close()));
  }
}
