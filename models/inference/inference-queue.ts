import { Worker } from 'node:worker_threads';
import { ModelLoadError, type ModelErrorCode } from '../onnx-session.js';
import type { InferenceRequest, InferenceResponse } from './inference-protocol.js';

/** Jobs handed to the worker at once: one running, one ready to start. */
const IN_FLIGHT = 2;
/** Replacements allowed within {@link RESTART_WINDOW_MS}; the next exit in that window ends the queue. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

/**
 * A job was inside the inference worker when the worker exited: it did not finish and its
 * transferred buffers went with the worker. The queue has already started a new worker with the
 * same models, so the job can be sent again with new buffers ({@link retryIfWorkerLost}).
 */
export class InferenceWorkerLostError extends Error {
  override readonly name = 'InferenceWorkerLostError';
}

/** What a restart reports: the old worker's exit code, the jobs it took with it, the models loaded again. */
export interface WorkerRestart {
  readonly exitCode: number;
  readonly reason: string;
  readonly lostJobs: number;
  readonly models: number;
  readonly restartsInWindow: number;
}

type LoadRequest = Extract<InferenceRequest, { kind: 'load-segmenter' | 'load-embedder' }>;
const isLoad = (request: InferenceRequest): request is LoadRequest =>
  request.kind === 'load-segmenter' || request.kind === 'load-embedder';
interface Job {
  readonly id: number;
  readonly priority: number;
  readonly request: InferenceRequest;
  readonly transfer: readonly ArrayBuffer[];
}

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
 *
 * A worker that exits on its own (an uncaught error, running out of heap) is replaced, as a
 * stall watchdog restarts a detector: the jobs inside it reject with {@link InferenceWorkerLostError},
 * a new worker loads the same models under the same handles before anything else, and the jobs
 * still waiting here go to it. A worker that exits again after {@link MAX_RESTARTS} replacements
 * within a minute is not replaced: the queue gives up and every job rejects with why. (A crash inside native code ends the whole process; that is for
 * the service manager to restart.)
 */
export class InferenceQueue {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiting: Job[] = [];
  /** Ids of the jobs inside the worker now. */
  private readonly posted = new Set<number>();
  /** Models loaded and not disposed, by handle, in load order: a new worker loads them again. */
  private readonly models = new Map<number, LoadRequest>();
  private worker: Worker;
  private lastWorkerError: Error | null = null;
  private readonly restarts: number[] = [];
  private givenUp: Error | null = null;
  private nextId = 1;
  private nextModel = 1;
  private closed = false;
  private closing: Promise<void> | null = null;
  /** The current worker's thread has ended (it is not replaced once the queue gave up or closed). */
  private workerExited = false;
  /** While closing: told when a job inside the worker answered. */
  private readonly drained = new Map<number, () => void>();

  private constructor(
    private readonly spawn: () => Worker,
    private readonly onRestart?: (restart: WorkerRestart) => void,
  ) {
    this.worker = this.attach(spawn());
  }

  /**
   * Starts the worker thread (the same module format as this file: .ts under tests, .js when built).
   * @param onRestart told each time a worker that exited on its own was replaced
   */
  static start(onRestart?: (restart: WorkerRestart) => void): InferenceQueue {
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    return new InferenceQueue(() => new Worker(new URL(`./inference-worker.${ext}`, import.meta.url)), onRestart);
  }

  /** Jobs sent and not answered yet. */
  get depth(): number {
    return this.pending.size;
  }

  /** False once the queue is closed or gave up on its worker: every job would reject. */
  get usable(): boolean {
    return !this.closed && !this.givenUp;
  }

  /**
   * Sends a job; its buffers in `transfer` move to the worker (unusable here until the answer
   * brings them back). A buffer that cannot be moved (e.g. a slice of Node's buffer pool) is copied.
   * A load is given its handle here (the answer's `model`), so a new worker can load it again under it.
   * @throws (rejects) the worker's error: ModelLoadError with its code for model failures;
   *   InferenceWorkerLostError when the worker exited while running it
   */
  call<T>(request: InferenceRequest, transfer: readonly ArrayBuffer[] = [], priority = 1): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the inference queue is closed'));
    if (this.givenUp) return Promise.reject(this.givenUp);
    const sent = isLoad(request) ? { ...request, model: this.nextModel++ } : request;
    return this.enqueue({ id: this.nextId++, priority, request: sent, transfer }).then((result) => {
      // What a replacement worker must load again.
      if (isLoad(sent)) this.models.set(sent.model!, sent);
      else if (sent.kind === 'dispose') this.models.delete(sent.model);
      return result as T;
    });
  }

  /**
   * Ends the worker: jobs waiting here reject at once; the jobs inside it finish (up to
   * `drainMs`), then the worker releases its sessions and exits by itself. Only a worker that does
   * not is terminated. Terminating one while a model runs left ONNX Runtime's native code to
   * return into a dying thread, which aborted the whole process ("terminate called after throwing
   * an instance of 'Napi::Error'", exit 134). Idempotent.
   */
  close(drainMs = 5_000): Promise<void> {
    this.closing ??= (async () => {
      this.closed = true;
      const closedError = new Error('the inference queue was closed');
      if (this.workerExited) {
        this.failAll(closedError);
        return;
      } // gave up on it: nothing runs
      for (const job of this.waiting) {
        this.pending.get(job.id)?.reject(closedError);
        this.pending.delete(job.id);
      }
      this.waiting.length = 0;
      const worker = this.worker;
      const exited = new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
      });
      const within = (p: Promise<unknown>, ms: number) =>
        Promise.race([p.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), ms).unref())]);
      // The jobs inside the worker run to their end (native code cannot be interrupted anyway).
      const inside = [...this.posted].map(
        (id) =>
          new Promise<void>((resolve) => {
            this.drained.set(id, resolve);
          }),
      );
      await within(Promise.all(inside), drainMs);
      this.failAll(closedError);
      worker.ref();
      try {
        worker.postMessage({ id: 0, request: { kind: 'close' } });
      } catch {
        /* already gone */
      }
      if (!(await within(exited, drainMs))) await worker.terminate();
    })();
    return this.closing;
  }

  /** Puts a job in line by priority, and sends what the worker can take now unless `post` is false. */
  private enqueue(job: Job, post = true): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      this.worker.ref(); // keep the process alive while a job is out
      const at = this.waiting.findIndex((w) => w.priority > job.priority);
      this.waiting.splice(at < 0 ? this.waiting.length : at, 0, job);
      if (post) this.postNext();
    }).finally(() => {
      if (this.pending.size === 0) this.worker.unref();
    });
  }

  private attach(worker: Worker): Worker {
    worker.on('message', (response: InferenceResponse) => {
      if (worker !== this.worker) return;
      const job = this.pending.get(response.id);
      this.posted.delete(response.id);
      this.drained.get(response.id)?.();
      if (!job) return;
      this.pending.delete(response.id);
      this.postNext();
      if (response.ok) job.resolve(response.result);
      else job.reject(reviveError(response.error));
    });
    worker.on('error', (err) => {
      if (worker === this.worker) this.lastWorkerError = err;
    }); // 'exit' follows
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      this.workerExited = true;
      if (!this.closed) this.replace(code);
    });
    if (this.pending.size === 0) worker.unref(); // it must not keep the process alive by itself; close() ends it
    return worker;
  }

  private postNext(): void {
    while (this.posted.size < IN_FLIGHT && this.waiting.length > 0 && !this.closed) {
      const { id, request, transfer } = this.waiting.shift()!;
      this.posted.add(id);
      try {
        this.worker.postMessage({ id, request }, transfer as ArrayBuffer[]);
      } catch {
        this.worker.postMessage({ id, request }); // not transferable: structured clone copies it
      }
    }
  }

  /** The worker exited on its own: reject what it held, then start a new one with the same models (or give up). */
  private replace(exitCode: number): void {
    const reason = this.lastWorkerError
      ? `${this.lastWorkerError.name}: ${this.lastWorkerError.message}`
      : `exit code ${exitCode}`;
    this.lastWorkerError = null;
    const lost = new InferenceWorkerLostError(`the inference worker exited (${reason}) while running this job`);
    const lostJobs = this.posted.size;
    for (const id of this.posted) {
      this.pending.get(id)?.reject(lost);
      this.pending.delete(id);
    }
    this.posted.clear();
    const now = Date.now();
    while (this.restarts.length > 0 && now - this.restarts[0] > RESTART_WINDOW_MS) this.restarts.shift();
    if (this.restarts.length >= MAX_RESTARTS) {
      this.givenUp = new Error(
        `the inference worker exited ${MAX_RESTARTS + 1} times within ${RESTART_WINDOW_MS / 1000} s (last: ${reason}); it is not started again`,
      );
      this.failAll(this.givenUp);
      return;
    }
    this.restarts.push(now);
    this.workerExited = false;
    this.worker = this.attach(this.spawn());
    // The models first, under their handles, before any waiting job. A model that no longer loads
    // leaves its jobs to fail in the worker ("not loaded"), naming it.
    const reloads: Job[] = [...this.models.values()].map((request) => ({
      id: this.nextId++,
      priority: -Infinity,
      request,
      transfer: [],
    }));
    for (const job of reloads) this.enqueue(job, false).catch(() => undefined);
    this.postNext(); // all the loads are ahead of the waiting jobs before any is sent
    this.onRestart?.({ exitCode, reason, lostJobs, models: reloads.length, restartsInWindow: this.restarts.length });
  }

  private failAll(err: Error): void {
    for (const job of this.pending.values()) job.reject(err);
    this.pending.clear();
    this.waiting.length = 0;
    this.posted.clear();
  }
}

/**
 * Runs `attempt` (which takes fresh buffers each time); when the inference worker exited under it,
 * runs it once more on the worker that replaced it. Other errors, and a second loss, go to the caller.
 */
export async function retryIfWorkerLost<T>(attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (err) {
    if (err instanceof InferenceWorkerLostError) return attempt();
    throw err;
  }
}

function reviveError(e: { name: string; message: string; code?: string }): Error {
  if (e.name === 'ModelLoadError') return new ModelLoadError(e.code as ModelErrorCode, e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}
