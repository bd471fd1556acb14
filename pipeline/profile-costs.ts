import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { join } from 'node:path';
import type { Detections } from '../models/detections.js';
import type { Embedder } from '../models/embedder.js';
import type { Frame } from '../models/frame.js';
import type { Segmenter } from '../models/segmenter.js';
import { makeFolders } from '../config/make-folders.js';

/** What a profile costs on this machine, measured in the pipeline's own thread layout. */
export interface ProfileCost {
  /** Frames per second the inference workers sustain with it (segmenter and embedder), all streams busy. */
  readonly fps: number;
  /** CPU time per frame, ms: cores × 1000 / fps (the workers fill every core). */
  readonly cpuMsPerFrame: number;
  /**
   * Time one frame takes alone (segmenter, then embedder), ms: a live camera has one frame in the
   * graph at a time, so it cannot be processed faster than 1000 / this, whatever cores are free.
   */
  readonly latencyMs: number;
  /** When it was measured (ISO time), and how many frames. */
  readonly measuredAt: string;
  readonly frames: number;
}

/** How long a measurement runs after warm-up, ms. */
const MEASURE_MS = 2000;
/** Frames before the clock starts (first runs allocate and optimise). */
const WARMUP_FRAMES = 3;
/** Person boxes embedded per frame while measuring: PETS09-S2L1 has 4-8 people, and the tracker embeds about two thirds of them. */
const CROPS_PER_FRAME = 4;

/**
 * Measures what one frame costs with `segmenter` (and `embedder`, when the cameras use one): a
 * synthetic 768×576 frame is segmented and `CROPS_PER_FRAME` person boxes of it embedded, with
 * `streams` frames in flight (one per CPU inference stream, as the pipeline keeps them), for
 * {@link MEASURE_MS} after warm-up.
 */
export async function measureProfileCost(segmenter: Segmenter, embedder: Embedder | null, streams: number, cores: number): Promise<ProfileCost> {
  const frame = syntheticFrame(768, 576);
  const boxes = syntheticPeople(frame, segmenter.classNames, CROPS_PER_FRAME);
  const once = async () => {
    await segmenter.segment(frame);
    if (embedder) await embedder.embed(boxes);
  };
  for (let i = 0; i < WARMUP_FRAMES; i++) await once();
  // One frame at a time, as a single live camera has them.
  const alone: number[] = [];
  for (let i = 0; i < 5; i++) { const t0 = performance.now(); await once(); alone.push(performance.now() - t0); }
  alone.sort((a, b) => a - b);
  const start = performance.now();
  let frames = 0;
  const lane = async () => { while (performance.now() - start < MEASURE_MS) { await once(); frames++; } };
  await Promise.all(Array.from({ length: Math.max(1, streams) }, lane));
  const fps = frames / ((performance.now() - start) / 1000);
  return { fps, cpuMsPerFrame: (cores * 1000) / fps, latencyMs: alone[2], measuredAt: new Date().toISOString(), frames };
}

/**
 * A cache of measured costs per machine and model file (JSON in `dir/profile-costs.json`): the key
 * holds the CPU model, the core count, the inference layout, the execution provider and each model
 * file's path, size and modification time, so another machine, layout or file is measured anew.
 * A cache that cannot be read or written is no error: costs are measured again.
 */
export class ProfileCostCache {
  private readonly file: string | null;
  private entries: Record<string, ProfileCost> = {};

  /** @param dir where the cache lives (the state folder, else ~/.cache/edgevis); null = no cache */
  constructor(dir: string | null) {
    this.file = dir ? join(dir, 'profile-costs.json') : null;
    if (!this.file) return;
    try { this.entries = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, ProfileCost>; } catch { this.entries = {}; }
  }

  /** The key of a measurement: machine, layout, provider and the files measured. */
  static key(parts: { provider: string; streams: number; intraOpThreads: number; model: string; embedder: string | null }): string {
    const file = (path: string | null) => {
      if (!path || !path.startsWith('/')) return path ?? 'none';
      try { const s = statSync(path); return `${path}:${s.size}:${Math.round(s.mtimeMs)}`; } catch { return path; }
    };
    return JSON.stringify({ cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, provider: parts.provider, streams: parts.streams, intraOp: parts.intraOpThreads, model: file(parts.model), embedder: file(parts.embedder) });
  }

  /** A cached cost (older entries without `latencyMs` count as missing). */
  get(key: string): ProfileCost | undefined { const c = this.entries[key]; return c && typeof c.latencyMs === 'number' ? c : undefined; }

  set(key: string, cost: ProfileCost): void {
    this.entries[key] = cost;
    if (!this.file) return;
    try {
      makeFolders(join(this.file, '..'));
      writeFileSync(`${this.file}.tmp`, `${JSON.stringify(this.entries, null, 1)}\n`);
      renameSync(`${this.file}.tmp`, this.file);
    } catch { /* a read-only home: measured again next time */ }
  }
}

/** Where measured costs are kept: the state folder when one is set, else $XDG_CACHE_HOME/edgevis or ~/.cache/edgevis. */
export function costCacheDir(stateDir: string | null, env: NodeJS.ProcessEnv = process.env): string | null {
  if (stateDir) return stateDir;
  const base = env.XDG_CACHE_HOME ?? (homedir() ? join(homedir(), '.cache') : null);
  return base ? join(base, 'edgevis') : null;
}

/** A deterministic textured frame (a gradient with a pattern), so the model does real work and the timing does not depend on content found. */
function syntheticFrame(width: number, height: number): Frame {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      rgb[i] = (x * 255) / width; rgb[i + 1] = (y * 255) / height; rgb[i + 2] = ((x ^ y) & 31) * 8;
    }
  }
  return { cameraId: 'profile-cost', frameIndex: 0, ptsMs: 0, width, height, rgb };
}

/** `n` person-sized boxes across the frame, as the embedder would get them. */
function syntheticPeople(frame: Frame, classNames: readonly string[], n: number): Detections {
  const boxes = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const x = 40 + (i * (frame.width - 120)) / n;
    boxes.set([x, 150, x + 45, 150 + 110], 4 * i);
  }
  return {
    frame, count: n, boxes, scores: new Float32Array(n).fill(0.9), classIds: new Int32Array(n), classNames,
    masks: Array.from({ length: n }, () => null), embeddings: null, embeddingDim: 0, inferenceMs: 0,
  };
}
