import ort from 'onnxruntime-node';
import { nmsPerClass } from './box.js';
import type { Detections } from './detections.js';
import type { Frame } from './frame.js';
import type { InstanceMask } from './instance-mask.js';
import { computeLetterbox, inputToFrameX, inputToFrameY, type Letterbox } from './letterbox.js';
import { letterboxToTensor } from './letterbox.js';
import { parseUltralyticsImgsz, parseUltralyticsNames, readOnnxMetadata } from './onnx-metadata.js';
import { loadOnnxModel, ModelLoadError, type ExecutionProvider } from './onnx-session.js';
import type { Segmenter } from './segmenter.js';
import { assembleMask, type Prototypes } from './yolo-mask.js';

/** Decoding options for {@link YoloSegmenter}. */
export interface YoloSegmenterOptions {
  /** Minimum class score to keep a candidate, [0, 1]. */
  readonly confidenceThreshold: number;
  /** Per-class NMS IoU threshold, [0, 1]. */
  readonly nmsIouThreshold: number;
  /** Keep at most this many instances per frame. */
  readonly maxDetections: number;
  /** Only these class names (empty = all classes of the model). */
  readonly classes: readonly string[];
  /** Mask probability threshold, (0, 1). */
  readonly maskThreshold: number;
  /** Execution providers in preference order. */
  readonly executionProviders: readonly ExecutionProvider[];
  /** onnxruntime intra-op threads (0 = its default). */
  readonly intraOpThreads: number;
}

/** Shapes learnt from a YOLO-seg model's own signature and metadata. */
export interface YoloSegModelInfo {
  readonly inputName: string;
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** Number of anchors (2100 at 320, 8400 at 640). */
  readonly anchors: number;
  /** Number of mask coefficients / prototypes (32). */
  readonly maskCoefficients: number;
  readonly protoHeight: number;
  readonly protoWidth: number;
  readonly classNames: readonly string[];
}

/**
 * Instance segmentation with an Ultralytics YOLOv8 / YOLO11 `-seg` ONNX export
 * (output0 [1, 4+C+M, N]: cx, cy, w, h in input pixels, C sigmoid class scores, M mask
 * coefficients; output1 [1, M, H/4, W/4] prototypes). Input size, N, M, prototype size
 * and class names are read from the model, so 320 int8 and 640 fp32 exports both work.
 *
 * Pipeline: letterbox → inference → class-score filter → per-class NMS → mask =
 * sigmoid(coeffs · protos) cropped to the box and mapped back through the letterbox.
 */
export class YoloSegmenter implements Segmenter {
  private readonly inputTensor: Float32Array;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: YoloSegModelInfo,
    readonly executionProvider: ExecutionProvider,
    private readonly options: YoloSegmenterOptions,
    private readonly allowedClasses: Uint8Array,
  ) {
    this.inputTensor = new Float32Array(3 * info.inputWidth * info.inputHeight);
  }

  get classNames(): readonly string[] { return this.info.classNames; }
  get inputWidth(): number { return this.info.inputWidth; }
  get inputHeight(): number { return this.info.inputHeight; }

  /**
   * Loads a model file and checks that it is a YOLO-seg export.
   * @returns the segmenter and the providers that failed before the one in use
   * @throws ModelLoadError when the file is missing, corrupt, or of another kind of model
   */
  static async load(path: string, options: YoloSegmenterOptions): Promise<{ segmenter: YoloSegmenter; fallbacks: readonly { provider: string; reason: string }[] }> {
    const loaded = await loadOnnxModel(path, options.executionProviders, options.intraOpThreads);
    const info = describeYoloSegModel(loaded.session, readOnnxMetadata(loaded.bytes), path);
    const unknown = options.classes.filter((c) => !info.classNames.includes(c));
    if (unknown.length > 0) {
      throw new ModelLoadError('wrong-kind', `model ${path} has no class named ${unknown.map((c) => `'${c}'`).join(', ')}; its classes are: ${info.classNames.join(', ')}`);
    }
    const allowed = new Uint8Array(info.classNames.length).fill(options.classes.length === 0 ? 1 : 0);
    for (const c of options.classes) allowed[info.classNames.indexOf(c)] = 1;
    return { segmenter: new YoloSegmenter(loaded.session, info, loaded.executionProvider, options, allowed), fallbacks: loaded.fallbacks };
  }

  async segment(frame: Frame): Promise<Detections> {
    const started = performance.now();
    const lb = computeLetterbox(frame.width, frame.height, this.info.inputWidth, this.info.inputHeight);
    letterboxToTensor(frame.rgb, lb, this.inputTensor);
    const input = new ort.Tensor('float32', this.inputTensor, [1, 3, this.info.inputHeight, this.info.inputWidth]);
    const outputs = await this.session.run({ [this.info.inputName]: input });
    const names = this.session.outputNames;
    const head = outputs[names[0]].data as Float32Array;
    const protoData = outputs[names[1]].data as Float32Array;
    const detections = this.decode(frame, lb, head, {
      data: protoData, count: this.info.maskCoefficients, height: this.info.protoHeight, width: this.info.protoWidth,
    });
    return { ...detections, inferenceMs: performance.now() - started };
  }

  /** Decodes raw head outputs for one frame (pure given its inputs; exposed for tests). */
  decode(frame: Frame, lb: Letterbox, head: Float32Array, protos: Prototypes): Detections {
    const { anchors: n, maskCoefficients: m } = this.info;
    const numClasses = this.info.classNames.length;
    const { confidenceThreshold, nmsIouThreshold, maxDetections, maskThreshold } = this.options;
    const candBoxes: number[] = [], candScores: number[] = [], candClasses: number[] = [], candAnchors: number[] = [];
    for (let i = 0; i < n; i++) {
      let best = -1, bestScore = confidenceThreshold;
      for (let c = 0; c < numClasses; c++) {
        const s = head[(4 + c) * n + i];
        if (s >= bestScore && this.allowedClasses[c]) { bestScore = s; best = c; }
      }
      if (best < 0) continue;
      const cx = head[i], cy = head[n + i], w = head[2 * n + i], h = head[3 * n + i];
      candBoxes.push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);
      candScores.push(bestScore); candClasses.push(best); candAnchors.push(i);
    }
    const keep = nmsPerClass(candBoxes, candScores, candClasses, nmsIouThreshold, maxDetections);
    const count = keep.length;
    const boxes = new Float32Array(4 * count), scores = new Float32Array(count), classIds = new Int32Array(count);
    const masks: InstanceMask[] = [];
    const coeffs = new Float32Array(m);
    keep.forEach((k, j) => {
      const clampX = (v: number) => Math.min(Math.max(v, 0), frame.width);
      const clampY = (v: number) => Math.min(Math.max(v, 0), frame.height);
      const box: [number, number, number, number] = [
        clampX(inputToFrameX(lb, candBoxes[4 * k])), clampY(inputToFrameY(lb, candBoxes[4 * k + 1])),
        clampX(inputToFrameX(lb, candBoxes[4 * k + 2])), clampY(inputToFrameY(lb, candBoxes[4 * k + 3])),
      ];
      boxes.set(box, 4 * j);
      scores[j] = candScores[k];
      classIds[j] = candClasses[k];
      const anchor = candAnchors[k];
      for (let c = 0; c < m; c++) coeffs[c] = head[(4 + numClasses + c) * n + anchor];
      masks.push(assembleMask(coeffs, protos, box, lb, maskThreshold));
    });
    return {
      frame, count, boxes, scores, classIds, classNames: this.info.classNames, masks,
      embeddings: null, embeddingDim: 0, inferenceMs: 0,
    };
  }

  async dispose(): Promise<void> { await this.session.release(); }
}

/**
 * Reads a YOLO-seg model's shapes from its signature and metadata.
 * @throws ModelLoadError when the outputs are not [1, 4+C+M, N] and [1, M, h, w]
 */
export function describeYoloSegModel(session: ort.InferenceSession, metadata: Record<string, string>, path: string): YoloSegModelInfo {
  const notSeg = (why: string) => new ModelLoadError('wrong-kind',
    `model ${path} is not a YOLOv8/YOLO11 segmentation export (${why}); export one with \`yolo export model=yolov8n-seg.pt format=onnx\``);
  if (session.inputNames.length !== 1 || session.outputNames.length !== 2) {
    throw notSeg(`expected 1 input and 2 outputs, found ${session.inputNames.length} and ${session.outputNames.length}`);
  }
  const inMeta = session.inputMetadata[0];
  const [out0, out1] = session.outputMetadata;
  if (!inMeta.isTensor || !out0.isTensor || !out1.isTensor) throw notSeg('non-tensor inputs or outputs');
  const imgsz = parseUltralyticsImgsz(metadata.imgsz);
  const dim = (d: number | string | undefined, fallback: number | undefined) => (typeof d === 'number' && d > 0 ? d : fallback);
  const inputHeight = dim(inMeta.shape[2], imgsz?.[0] ?? 640)!;
  const inputWidth = dim(inMeta.shape[3], imgsz?.[1] ?? 640)!;
  const protoShape = out1.shape;
  const headShape = out0.shape;
  if (protoShape.length !== 4 || headShape.length !== 3) throw notSeg(`output ranks ${headShape.length} and ${protoShape.length}, expected 3 and 4`);
  const m = dim(protoShape[1], undefined);
  const protoHeight = dim(protoShape[2], inputHeight / 4)!;
  const protoWidth = dim(protoShape[3], inputWidth / 4)!;
  // Anchors follow from the strides 8/16/32 when the export left N symbolic.
  const strideAnchors = [8, 16, 32].reduce((s, st) => s + (inputWidth / st) * (inputHeight / st), 0);
  const anchors = dim(headShape[2], strideAnchors)!;
  const channels = dim(headShape[1], undefined);
  if (m === undefined || channels === undefined) throw notSeg('symbolic channel dimensions');
  const numClasses = channels - 4 - m;
  if (numClasses <= 0) throw notSeg(`head has ${channels} channels, too few for 4 box values and ${m} mask coefficients`);
  let classNames = parseUltralyticsNames(metadata.names);
  if (!classNames || classNames.length !== numClasses) classNames = Array.from({ length: numClasses }, (_, i) => `class_${i}`);
  return { inputName: session.inputNames[0], inputWidth, inputHeight, anchors, maskCoefficients: m, protoHeight, protoWidth, classNames };
}
