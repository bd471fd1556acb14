import { nmsPerClass } from './box.js';
import type { Detections } from './detections.js';
import type { Frame } from './frame.js';
import type { InstanceMask } from './instance-mask.js';
import { inputToFrameX, inputToFrameY, type Letterbox } from './letterbox.js';
import { assembleMask, type Prototypes } from './yolo-mask.js';
import type { YoloSegmenterOptions, YoloSegModelInfo } from './yolo-seg-model.js';

/**
 * Decodes a YOLOv8 / YOLO11 `-seg` head for one frame: class-score filter → per-class NMS →
 * boxes mapped back through the letterbox (clamped to the frame) → mask = sigmoid(coeffs ·
 * protos) > threshold, cropped to the box ({@link assembleMask}). Pure and synchronous, so it can
 * run on whichever thread holds the frame (the main thread, while the model runs in the
 * inference worker).
 */
export class YoloSegDecoder {
  private readonly allowedClasses: Uint8Array;
  private best = { bestScore: new Float64Array(0), bestClass: new Int32Array(0) };

  /** @throws Error when `options.classes` names a class the model does not have */
  constructor(
    readonly info: YoloSegModelInfo,
    private readonly options: Pick<
      YoloSegmenterOptions,
      'confidenceThreshold' | 'nmsIouThreshold' | 'maxDetections' | 'classes' | 'maskThreshold'
    >,
  ) {
    this.allowedClasses = new Uint8Array(info.classNames.length).fill(options.classes.length === 0 ? 1 : 0);
    for (const c of options.classes) {
      const id = info.classNames.indexOf(c);
      if (id < 0) throw new Error(`the model has no class named '${c}'`);
      this.allowedClasses[id] = 1;
    }
  }

  /**
   * Decodes one frame's raw outputs.
   * @param frame the frame the input was letterboxed from (boxes and masks come back in its pixels)
   * @param lb the letterbox used for the input
   * @param head output0, [4+C+M, N] row-major (cx, cy, w, h in input pixels, C class scores, M mask coefficients)
   * @param protos output1, the M prototypes
   */
  decode(frame: Frame, lb: Letterbox, head: Float32Array, protos: Prototypes): Detections {
    const { anchors: n, maskCoefficients: m } = this.info;
    const numClasses = this.info.classNames.length;
    const { confidenceThreshold, nmsIouThreshold, maxDetections, maskThreshold } = this.options;
    const candBoxes: number[] = [],
      candScores: number[] = [],
      candClasses: number[] = [],
      candAnchors: number[] = [];
    // Best allowed class per anchor, scanning each class's row of scores in memory order (the head
    // is class-major) and only the allowed classes: with `classes: [person]` 1 row of N, not 80.
    const { bestScore, bestClass } = this.scratch(n);
    bestScore.fill(confidenceThreshold);
    bestClass.fill(-1);
    for (let c = 0; c < numClasses; c++) {
      if (!this.allowedClasses[c]) continue;
      const row = (4 + c) * n;
      for (let i = 0; i < n; i++) {
        const s = head[row + i];
        if (s >= bestScore[i]) {
          bestScore[i] = s;
          bestClass[i] = c;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      if (bestClass[i] < 0) continue;
      const cx = head[i],
        cy = head[n + i],
        w = head[2 * n + i],
        h = head[3 * n + i];
      candBoxes.push(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2);
      candScores.push(bestScore[i]);
      candClasses.push(bestClass[i]);
      candAnchors.push(i);
    }
    const keep = nmsPerClass(candBoxes, candScores, candClasses, nmsIouThreshold, maxDetections);
    const count = keep.length;
    const boxes = new Float32Array(4 * count),
      scores = new Float32Array(count),
      classIds = new Int32Array(count);
    const masks: InstanceMask[] = [];
    const coeffs = new Float32Array(m);
    keep.forEach((k, j) => {
      const clampX = (v: number) => Math.min(Math.max(v, 0), frame.width);
      const clampY = (v: number) => Math.min(Math.max(v, 0), frame.height);
      const box: [number, number, number, number] = [
        clampX(inputToFrameX(lb, candBoxes[4 * k])),
        clampY(inputToFrameY(lb, candBoxes[4 * k + 1])),
        clampX(inputToFrameX(lb, candBoxes[4 * k + 2])),
        clampY(inputToFrameY(lb, candBoxes[4 * k + 3])),
      ];
      boxes.set(box, 4 * j);
      scores[j] = candScores[k];
      classIds[j] = candClasses[k];
      const anchor = candAnchors[k];
      for (let c = 0; c < m; c++) coeffs[c] = head[(4 + numClasses + c) * n + anchor];
      masks.push(assembleMask(coeffs, protos, box, lb, maskThreshold));
    });
    return {
      frame,
      count,
      boxes,
      scores,
      classIds,
      classNames: this.info.classNames,
      masks,
      embeddings: null,
      embeddingDim: 0,
      inferenceMs: 0,
    };
  }

  /** Per-anchor scratch arrays, reused across frames. */
  private scratch(n: number): { bestScore: Float64Array; bestClass: Int32Array } {
    if (this.best.bestScore.length !== n) this.best = { bestScore: new Float64Array(n), bestClass: new Int32Array(n) };
    return this.best;
  }
}

/** The prototype tensor (output1, [M, H/4, W/4]) of a model's raw output. */
export function prototypesOf(info: YoloSegModelInfo, data: Float32Array): Prototypes {
  return { data, count: info.maskCoefficients, height: info.protoHeight, width: info.protoWidth };
}
