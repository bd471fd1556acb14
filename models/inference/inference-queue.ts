import { Worker } from 'node:worker_threads';
import { ModelLoadError, type ModelErrorCode } from '../onnx-session.js';
import type { InferenceRequest, InferenceResponse } from './inference-protocol.js';

/** Jobs handed to the worker at once: one running, one ready to start. */
const IN_FLIGHT = 2;

/**
 * One inference queue per device: a worker thread that owns the ONNX Runtime sessions and runs
 * their jobs one at a time, in the order they were sent. The main thread only routes frames and
 * results (pixels are moved, not copied), so its event loop stays free while a model runs —
 * onnxruntime-node's `session.run` executes synchronously on the calling thread. One queue also
 * means GPU sessions never run concurrently (onnxruntime issue 32561).
 *
 * At most {@link IN_FLIGHT} jobs are in the worker at a time (so it starts the next one without
 * waiting for the main thread to collect the last result); the others wait here, and the most
 * urgent goes next: a job for an older frame's later stage (embedding) before the next frame's
 * segmentation, so frame N is finished while frame N+1 waits (`priority`, lower first; FIFO
 * within a priority).
 */
export class InferenceQueue {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiting: { id: number; priority: number; request: InferenceRequest; transfer: readonly ArrayBuffer[] }[] = [];
  private inFlight = 0;
  private nextId = 1;
  private closed = false;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (response: InferenceResponse) => {
      const job = this.pending.get(response.id);
      if (!job) return;
      this.pending.delete(response.id);
      this.inFlight--;
      this.postNext();
      if (response.ok) job.resolve(response.result);
      else job.reject(reviveError(response.error));
    });
    worker.on('error', (err) => this.failAll(new Error(`inference worker failed: ${err.message}`)));
    worker.on('exit', (code) => { if (!this.closed) this.failAll(new Error(`inference worker exited (code ${code})`)); });
    worker.unref(); // it must not keep the process alive by itself; close() ends it
  }

  /** Starts the worker thread (the same module format as this file: .ts under tests, .js when built). */
  static start(): InferenceQueue {
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    return new InferenceQueue(new Worker(new URL(`./inference-worker.${ext}`, import.meta.url)));
  }

  /** Jobs sent and not answered yet. */
  get depth(): number { return this.pending.size; }

  /**
   * Sends a job; its buffers in `transfer` move to the worker (unusable here until the answer
   * brings them back). A buffer that cannot be moved (e.g. a slice of Node's buffer pool) is copied.
   * @throws (rejects) the worker's error: ModelLoadError with its code for model failures
   */
  call<T>(request: InferenceRequest, transfer: readonly ArrayBuffer[] = [], priority = 1): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the inference queue is closed'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.ref(); // keep the process alive while a job is out
      const at = this.waiting.findIndex((w) => w.priority > priority);
      this.waiting.splice(at < 0 ? this.waiting.length : at, 0, { id, priority, request, transfer });
      this.postNext();
    }).finally(() => { if (this.pending.size === 0) this.worker.unref(); });
  }

  private postNext(): void {
    while (this.inFlight < IN_FLIGHT && this.waiting.length > 0 && !this.closed) {
      const { id, request, transfer } = this.waiting.shift()!;
      this.inFlight++;
      try {
        this.worker.postMessage({ id, request }, transfer as ArrayBuffer[]);
      } catch {
        this.worker.postMessage({ id, request }); // not transferable: structured clone copies it
      }
    }
  }

  /** Ends the worker (its sessions go with it); jobs still out reject. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new Error('the inference queue was closed'));
    await this.worker.terminate();
  }

  private failAll(err: Error): void {
    for (const job of this.pending.values()) job.reject(err);
    this.pending.clear();
    this.waiting.length = 0;
  }
}

function reviveError(e: { name: string; message: string; code?: string }): Error {
  if (e.name === 'ModelLoadError') return new ModelLoadError(e.code as ModelErrorCode, e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
