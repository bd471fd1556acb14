import type { Detections } from '../detections.js';
import type { Frame } from '../frame.js';
import type { ExecutionProvider } from '../onnx-session.js';
import type { Segmenter } from '../segmenter.js';
import type { YoloSegmenterOptions, YoloSegModelInfo } from '../yolo-segmenter.js';
import { buffersOf, frameOf, framePixels, type DetectionsPayload, type SegmenterLoaded } from './inference-protocol.js';
import type { InferenceQueue } from './inference-queue.js';

/**
 * A {@link YoloSegmenter} that runs in the inference worker: `segment` moves the frame's pixels to
 * the worker (letterbox, inference, NMS and mask assembly happen there) and gets them back with
 * the detections, so the returned `Detections.frame` is a new Frame over the same pixels and the
 * frame passed in must not be read meanwhile.
 */
export class WorkerSegmenter implements Segmenter {
  private constructor(private readonly queue: InferenceQueue, private readonly model: number, readonly info: YoloSegModelInfo, readonly executionProvider: ExecutionProvider) {}

  /**
   * Loads a YOLO-seg model in the worker.
   * @throws ModelLoadError (rejects) when the file is missing, corrupt, or another kind of model
   */
  static async load(queue: InferenceQueue, path: string, options: YoloSegmenterOptions): Promise<{ segmenter: WorkerSegmenter; fallbacks: SegmenterLoaded['fallbacks'] }> {
    const loaded = await queue.call<SegmenterLoaded>({ kind: 'load-segmenter', path, options });
    return { segmenter: new WorkerSegmenter(queue, loaded.model, loaded.info, loaded.executionProvider), fallbacks: loaded.fallbacks };
  }

  get classNames(): readonly string[] { return this.info.classNames; }
  get inputWidth(): number { return this.info.inputWidth; }
  get inputHeight(): number { return this.info.inputHeight; }

  async segment(frame: Frame): Promise<Detections> {
    const pixels = framePixels(frame);
    const d = await this.queue.call<DetectionsPayload>({ kind: 'segment', model: this.model, frame: pixels }, buffersOf(pixels));
    return {
      frame: frameOf(d.frame, frame.timing), count: d.count, boxes: d.boxes, scores: d.scores, classIds: d.classIds, classNames: this.info.classNames,
      masks: d.masks, embeddings: null, embeddingDim: 0, inferenceMs: d.inferenceMs,
    };
  }

  async dispose(): Promise<void> { await this.queue.call({ kind: 'dispose', model: this.model }).catch(() => undefined); }
}
