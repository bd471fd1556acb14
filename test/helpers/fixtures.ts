import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pino } from 'pino';
import type { Detections } from '../../models/detections.js';
import type { Frame } from '../../models/frame.js';

/** The real recording (Debian opencv-doc): PETS09-S2L1, 795 frames, 768x576. */
export const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
/** Shared data beside the checkout (models, datasets). */
export const SHARED = resolve(process.cwd(), '..', 'shared');
export const MODEL = process.env.EDGEVIS_MODEL_DIR
  ? resolve(process.env.EDGEVIS_MODEL_DIR, 'yolov8n-seg_fp32.onnx')
  : resolve(SHARED, 'models', 'yolov8n-seg_fp32.onnx');
export const haveInputs = existsSync(VTEST) && existsSync(MODEL);

/** A logger that keeps quiet unless LOG_LEVEL is set. */
export const quietLogger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

/** A blank frame of the given size. */
export function blankFrame(cameraId: string, frameIndex: number, width = 640, height = 480, fps = 10): Frame {
  return {
    cameraId,
    frameIndex,
    ptsMs: (frameIndex * 1000) / fps,
    width,
    height,
    rgb: new Uint8Array(width * height * 3),
  };
}

/** Synthetic detections: boxes x1,y1,x2,y2; optional embeddings (rows, normalised here). */
export function makeDetections(
  frame: Frame,
  items: { box: [number, number, number, number]; score?: number; classId?: number; embedding?: number[] }[],
  classNames = ['person', 'car'],
): Detections {
  const n = items.length;
  const dim = items[0]?.embedding?.length ?? 0;
  const emb = dim ? new Float32Array(n * dim) : null;
  items.forEach((it, i) => {
    if (!emb || !it.embedding) return;
    const norm = Math.hypot(...it.embedding) || 1;
    it.embedding.forEach((v, k) => {
      emb[i * dim + k] = v / norm;
    });
  });
  return {
    frame,
    count: n,
    boxes: Float32Array.from(items.flatMap((it) => it.box)),
    scores: Float32Array.from(items.map((it) => it.score ?? 0.9)),
    classIds: Int32Array.from(items.map((it) => it.classId ?? 0)),
    classNames,
    masks: items.map(() => null),
    embeddings: emb,
    embeddingDim: dim,
    inferenceMs: 0,
  };
}

/** Whether this machine's GStreamer has `element` (e.g. `x264enc`, from gstreamer1.0-plugins-ugly). */
export function haveGstElement(element: string): boolean {
  try {
    execFileSync('gst-inspect-1.0', [element], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
