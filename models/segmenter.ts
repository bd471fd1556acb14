import type { Detections } from './detections.js';
import type { Frame } from './frame.js';

/** Per-frame instance segmentation, one model instance per process, stateless across frames. */
export interface Segmenter {
  /** Class names indexed by class id. */
  readonly classNames: readonly string[];
  /** Model input size, pixels. */
  readonly inputWidth: number;
  readonly inputHeight: number;
  /** Execution provider in use (e.g. 'cpu'). */
  readonly executionProvider: string;
  /** Finds the instances of one frame. Boxes and masks are in frame pixels. */
  segment(frame: Frame): Promise<Detections>;
  /** Frees the ONNX session. */
  dispose(): Promise<void>;
}
