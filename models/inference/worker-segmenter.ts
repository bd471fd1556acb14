import type { Detections } from '../detections.js';
import type { Frame } from '../frame.js';
import { computeLetterbox, letterboxToTensor } from '../letterbox.js';
import type { ExecutionProvider } from '../onnx-session.js';
import type { Segmenter } from '../segmenter.js';
import { prototypesOf, YoloSegDecoder } from '../yolo-seg-decoder.js';
import {
  rawOutputSizes,
  type RawOutputs,
  type YoloSegmenterOptions,
  type YoloSegModelInfo,
} from '../yolo-seg-model.js';
import { buffersOf, type RawSegmentationPayload, type SegmenterLoaded } from './inference-protocol.js';
import type { InferenceDispatch } from './inference-pool.js';
import { retryIfWorkerLost } from './inference-queue.js';

/** Sets of input/output buffers kept for reuse (at most a few frames are in the model at a time). */
const BUFFER_POOL = 4;

/** One job's buffers: the letterboxed input and the raw outputs, moved to the worker and back. */
interface JobBuffers extends RawOutputs {
  readonly tensor: Float32Array;
}

/**
 * A YOLO-seg segmenter whose model runs in the inference worker. The worker only runs the
 * model: letterboxing into the input tensor and decoding the outputs (NMS, masks) happen here,
 * on the calling thread, so the worker — the pipeline's bottleneck — spends its time in ONNX
 * Runtime only, and the frame's pixels never leave this thread. The input tensor and the output
 * buffers move there and back without copies and are reused: allocating ~3 MB per frame kept
 * V8's garbage collector (and its helper threads, competing with ONNX Runtime's) busy.
 */
export class WorkerSegmenter implements Segmenter {
  private readonly decoder: YoloSegDecoder;
  private readonly pool: JobBuffers[] = [];

  private constructor(
    private readonly queue: InferenceDispatch,
    private readonly model: number,
    readonly info: YoloSegModelInfo,
    readonly executionProvider: ExecutionProvider,
    options: YoloSegmenterOptions,
  ) {
    this.decoder = new YoloSegDecoder(info, options);
  }

  /**
   * Loads a YOLO-seg model in the worker.
   * @throws ModelLoadError (rejects) when the file is missing, corrupt, or another kind of model
   */
  static async load(
    queue: InferenceDispatch,
    path: string,
    options: YoloSegmenterOptions,
  ): Promise<{ segmenter: WorkerSegmenter; fallbacks: SegmenterLoaded['fallbacks'] }> {
    const loaded = await retryIfWorkerLost(() =>
      queue.call<SegmenterLoaded>({ kind: 'load-segmenter', path, options }),
    );
    return {
      segmenter: new WorkerSegmenter(queue, loaded.model, loaded.info, loaded.executionProvider, options),
      fallbacks: loaded.fallbacks,
    };
  }

  get classNames(): readonly string[] {
    return this.info.classNames;
  }
  get inputWidth(): number {
    return this.info.inputWidth;
  }
  get inputHeight(): number {
    return this.info.inputHeight;
  }

  /**
   * Segments a frame; `inferenceMs` counts letterboxing, the model's run in the worker and decoding
   * (not the wait in the queue). A frame whose worker exited under it is segmented again on the
   * worker that replaced it.
   */
  segment(frame: Frame): Promise<Detections> {
    return retryIfWorkerLost(() => this.segmentOnce(frame));
  }

  private async segmentOnce(frame: Frame): Promise<Detections> {
    const prepareStart = performance.now();
    const lb = computeLetterbox(frame.width, frame.height, this.info.inputWidth, this.info.inputHeight);
    const job = this.pool.pop() ?? this.newBuffers();
    letterboxToTensor(frame.rgb, lb, job.tensor);
    const prepareMs = performance.now() - prepareStart;
    const raw = await this.queue.call<RawSegmentationPayload>(
      { kind: 'infer-segmenter', model: this.model, ...job },
      buffersOf(job.tensor, job.head, job.protos),
    );
    const decodeStart = performance.now();
    const detections = this.decoder.decode(frame, lb, raw.head, prototypesOf(this.info, raw.protos)); // keeps no reference to the buffers
    if (this.pool.length < BUFFER_POOL) this.pool.push({ tensor: raw.tensor, head: raw.head, protos: raw.protos });
    return { ...detections, inferenceMs: prepareMs + raw.inferenceMs + (performance.now() - decodeStart) };
  }

  private newBuffers(): JobBuffers {
    const [head, protos] = rawOutputSizes(this.info);
    return {
      tensor: new Float32Array(3 * this.info.inputWidth * this.info.inputHeight),
      head: new Float32Array(head),
      protos: new Float32Array(protos),
    };
  }

  async dispose(): Promise<void> {
    await this.queue.call({ kind: 'dispose', model: this.model }).catch(() => undefined);
  }
}
