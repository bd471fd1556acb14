import ort from 'onnxruntime-node';
import type { Detections } from './detections.js';
import type { Frame } from './frame.js';
import { computeLetterbox, letterboxToTensor } from './letterbox.js';
import { parseUltralyticsImgsz, parseUltralyticsNames, readOnnxMetadata } from './onnx-metadata.js';
import { loadOnnxModel, ModelLoadError, type ExecutionProvider } from './onnx-session.js';
import type { Segmenter } from './segmenter.js';
import type { Prototypes } from './yolo-mask.js';
import { YoloSegDecoder, prototypesOf } from './yolo-seg-decoder.js';
import { rawOutputSizes, type RawOutputs, type YoloSegmenterOptions, type YoloSegModelInfo } from './yolo-seg-model.js';

export type { RawOutputs, YoloSegmenterOptions, YoloSegModelInfo } from './yolo-seg-model.js';

/**
 * Instance segmentation with an Ultralytics YOLOv8 / YOLO11 `-seg` ONNX export
 * (output0 [1, 4+C+M, N]: cx, cy, w, h in input pixels, C sigmoid class scores, M mask
 * coefficients; output1 [1, M, H/4, W/4] prototypes). Input size, N, M, prototype size
 * and class names are read from the model, so 320 int8 and 640 fp32 exports both work.
 *
 * Pipeline: letterbox → inference ({@link infer}) → decoding ({@link YoloSegDecoder}: class-score
 * filter → per-class NMS → mask = sigmoid(coeffs · protos) cropped to the box and mapped back
 * through the letterbox).
 */
export class YoloSegmenter implements Segmenter {
  private readonly inputTensor: Float32Array;
  private readonly outputs: RawOutputs;
  /** Turns raw outputs into detections (also usable on its own, e.g. on another thread). */
  readonly decoder: YoloSegDecoder;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: YoloSegModelInfo,
    readonly executionProvider: ExecutionProvider,
    options: YoloSegmenterOptions,
  ) {
    this.inputTensor = new Float32Array(3 * info.inputWidth * info.inputHeight);
    const [headLength, protoLength] = rawOutputSizes(info);
    this.outputs = { head: new Float32Array(headLength), protos: new Float32Array(protoLength) };
    this.decoder = new YoloSegDecoder(info, options);
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
   * Loads a model file and checks that it is a YOLO-seg export.
   * @returns the segmenter and the providers that failed before the one in use
   * @throws ModelLoadError when the file is missing, corrupt, or of another kind of model
   */
  static async load(
    path: string,
    options: YoloSegmenterOptions,
  ): Promise<{ segmenter: YoloSegmenter; fallbacks: readonly { provider: string; reason: string }[] }> {
    const loaded = await loadOnnxModel(path, options.executionProviders, options.intraOpThreads);
    const info = describeYoloSegModel(loaded.session, readOnnxMetadata(loaded.bytes), path);
    const unknown = options.classes.filter((c) => !info.classNames.includes(c));
    if (unknown.length > 0) {
      throw new ModelLoadError(
        'wrong-kind',
        `model ${path} has no class named ${unknown.map((c) => `'${c}'`).join(', ')}; its classes are: ${info.classNames.join(', ')}`,
      );
    }
    return {
      segmenter: new YoloSegmenter(loaded.session, info, loaded.executionProvider, options),
      fallbacks: loaded.fallbacks,
    };
  }

  async segment(frame: Frame): Promise<Detections> {
    const started = performance.now();
    const lb = computeLetterbox(frame.width, frame.height, this.info.inputWidth, this.info.inputHeight);
    letterboxToTensor(frame.rgb, lb, this.inputTensor);
    const { head, protos } = await this.infer(this.inputTensor, this.outputs);
    const detections = this.decoder.decode(frame, lb, head, protos);
    return { ...detections, inferenceMs: performance.now() - started };
  }

  /**
   * Runs the model alone on a letterboxed input (see {@link letterboxToTensor}).
   * @param input Float32Array(3 × inputHeight × inputWidth), planar RGB in [0, 1]
   * @param into output buffers the model writes into (sizes from {@link rawOutputSizes}), reused
   *   across frames: allocating ~2 MB per frame (at 320) kept the garbage collector busy
   * @returns the raw head output [4+C+M, N] and the prototypes (over `into`), for {@link YoloSegDecoder.decode}
   */
  async infer(input: Float32Array, into: RawOutputs): Promise<{ head: Float32Array; protos: Prototypes }> {
    const { info } = this;
    const [headName, protoName] = this.session.outputNames;
    await this.session.run(
      { [info.inputName]: new ort.Tensor('float32', input, [1, 3, info.inputHeight, info.inputWidth]) },
      {
        [headName]: new ort.Tensor('float32', into.head, [
          1,
          4 + info.classNames.length + info.maskCoefficients,
          info.anchors,
        ]),
        [protoName]: new ort.Tensor('float32', into.protos, [
          1,
          info.maskCoefficients,
          info.protoHeight,
          info.protoWidth,
        ]),
      },
    );
    return { head: into.head, protos: prototypesOf(info, into.protos) };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Reads a YOLO-seg model's shapes from its signature and metadata.
 * @throws ModelLoadError when the outputs are not [1, 4+C+M, N] and [1, M, h, w]
 */
export function describeYoloSegModel(
  session: ort.InferenceSession,
  metadata: Record<string, string>,
  path: string,
): YoloSegModelInfo {
  const notSeg = (why: string) =>
    new ModelLoadError(
      'wrong-kind',
      `model ${path} is not a YOLOv8/YOLO11 segmentation export (${why}); export one with \`yolo export model=yolov8n-seg.pt format=onnx\``,
    );
  if (session.inputNames.length !== 1 || session.outputNames.length !== 2) {
    throw notSeg(
      `expected 1 input and 2 outputs, found ${session.inputNames.length} and ${session.outputNames.length}`,
    );
  }
  const inMeta = session.inputMetadata[0];
  const [out0, out1] = session.outputMetadata;
  if (!inMeta.isTensor || !out0.isTensor || !out1.isTensor) throw notSeg('non-tensor inputs or outputs');
  const imgsz = parseUltralyticsImgsz(metadata.imgsz);
  const dim = (d: number | string | undefined, fallback: number | undefined) =>
    typeof d === 'number' && d > 0 ? d : fallback;
  const inputHeight = dim(inMeta.shape[2], imgsz?.[0] ?? 640)!;
  const inputWidth = dim(inMeta.shape[3], imgsz?.[1] ?? 640)!;
  const protoShape = out1.shape;
  const headShape = out0.shape;
  if (protoShape.length !== 4 || headShape.length !== 3)
    throw notSeg(`output ranks ${headShape.length} and ${protoShape.length}, expected 3 and 4`);
  const m = dim(protoShape[1], undefined);
  const protoHeight = dim(protoShape[2], inputHeight / 4)!;
  const protoWidth = dim(protoShape[3], inputWidth / 4)!;
  // Anchors follow from the strides 8/16/32 when the export left N symbolic.
  const strideAnchors = [8, 16, 32].reduce((s, st) => s + (inputWidth / st) * (inputHeight / st), 0);
  const anchors = dim(headShape[2], strideAnchors)!;
  const channels = dim(headShape[1], undefined);
  if (m === undefined || channels === undefined) throw notSeg('symbolic channel dimensions');
  const numClasses = channels - 4 - m;
  if (numClasses <= 0)
    throw notSeg(`head has ${channels} channels, too few for 4 box values and ${m} mask coefficients`);
  let classNames = parseUltralyticsNames(metadata.names);
  if (!classNames || classNames.length !== numClasses)
    classNames = Array.from({ length: numClasses }, (_, i) => `class_${i}`);
  return {
    inputName: session.inputNames[0],
    inputWidth,
    inputHeight,
    anchors,
    maskCoefficients: m,
    protoHeight,
    protoWidth,
    classNames,
  };
}
