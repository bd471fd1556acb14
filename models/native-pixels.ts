import { createRequire } from 'node:module';

/**
 * The pixel kernels in C (package `edgevis-pixels`, built from models/native/ by node-gyp when the
 * packages are installed). They return the very same float32 values as the JavaScript kernels in
 * letterbox.ts and crop-resize.ts (same double arithmetic, same order; test/pixels-native.test.ts
 * compares them bit for bit), 2-6× faster: on a machine whose cores the model already fills, that
 * time comes straight off the frame rate.
 *
 * Frames: packed RGB (HWC, row-major, uint8). Tensors: planar CHW float32. Sizes in pixels.
 * Each function throws TypeError / RangeError on arguments of the wrong type or size.
 */
export interface NativePixels {
  /** Letterboxes a frame into a model input (see letterbox.ts `letterboxToTensor`). */
  letterbox(
    rgb: Uint8Array,
    frameWidth: number,
    frameHeight: number,
    inputWidth: number,
    inputHeight: number,
    resizedWidth: number,
    resizedHeight: number,
    padX: number,
    padY: number,
    out: Float32Array,
  ): void;
  /** Crops, resizes and ImageNet-normalises one box (see crop-resize.ts `cropResizeNormalise`). */
  cropResizeNormalise(
    rgb: Uint8Array,
    width: number,
    height: number,
    x1: number,
    y1: number,
    x2: number,
    y2: number,
    outWidth: number,
    outHeight: number,
    out: Float32Array,
    offset: number,
  ): void;
}

/** Why the native kernels are not in use, or null when they are. */
export let nativePixelsUnavailable: string | null = null;

/**
 * The native kernels, or null: when `EDGEVIS_PIXELS=js` asks for the JavaScript ones (to compare
 * speed, or to rule the native code out), or when the addon was not built (then the JavaScript
 * kernels run, with the same results, and `nativePixelsUnavailable` says why).
 */
export const nativePixels: NativePixels | null = load();

function load(): NativePixels | null {
  if (process.env.EDGEVIS_PIXELS === 'js') {
    nativePixelsUnavailable = 'EDGEVIS_PIXELS=js';
    return null;
  }
  try {
    return createRequire(import.meta.url)('edgevis-pixels') as NativePixels;
  } catch (e) {
    nativePixelsUnavailable = `the edgevis-pixels addon did not load (${(e as Error).message.split('\n')[0]}); run ./setup.sh to build it`;
    return null;
  }
}
