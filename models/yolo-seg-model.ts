import type { ExecutionProvider } from './onnx-session.js';

/** Options of a YOLO-seg segmenter: decoding thresholds and how its ONNX Runtime session runs. */
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

/** Buffers a YOLO-seg model's raw outputs are written into (see {@link rawOutputSizes}). */
export interface RawOutputs {
  /** output0, Float32Array((4+C+M) × N). */
  readonly head: Float32Array;
  /** output1, Float32Array(M × H/4 × W/4). */
  readonly protos: Float32Array;
}

/** Lengths in floats of a model's head and prototype outputs, [head, protos]. */
export function rawOutputSizes(info: YoloSegModelInfo): [number, number] {
  return [
    (4 + info.classNames.length + info.maskCoefficients) * info.anchors,
    info.maskCoefficients * info.protoHeight * info.protoWidth,
  ];
}
