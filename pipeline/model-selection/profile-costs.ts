import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { cpus, homedir, type CpuInfo } from 'node:os';
import { join } from 'node:path';
import type { Detections } from '../../models/detections.js';
import type { Embedder } from '../../models/embedder.js';
import type { Frame } from '../../models/frame.js';
import type { Segmenter } from '../../models/segmenter.js';
import { makeFolders } from '../../config/make-folders.js';

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
  /** The segmenter's part of {@link latencyMs}, ms (what the running pipeline's `inferenceMs` is compared with). */
  readonly segmentMs?: number;
  /** When it was measured (ISO time), and how many frames. */
  readonly measuredAt: string;
  readonly frames: number;
  /**
   * Share of the machine's CPU time that other processes took while it was measured, 0-1: above
   * {@link CONTENDED_SHARE} the measurement is used but never cached (it would hold a cost measured
   * under someone else's load for good).
   */
  readonly othersCpuShare?: number;
}

/** Above this share of the machine's CPU taken by other processes, a measurement is not cached. */
export const CONTENDED_SHARE = 0.25;
/** Cached costs older than this are measured again, ms (a day: the machine's load and software change). */
export const COST_MAX_AGE_MS = 24 * 3600_000;
/** How long a measurement runs after warm-up at least, ms, and on how many frames at least (at most 4× as long to reach them). */
const MEASURE_MS = 2000;
const MIN_FRAMES = 24;
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
export async function measureProfileCost(
  segmenter: Segmenter,
  embedder: Embedder | null,
  streams: number,
  cores: number,
): Promise<ProfileCost> {
  const frame = syntheticFrame(768, 576);
  const boxes = syntheticPeople(frame, segmenter.classNames, CROPS_PER_FRAME);
  const once = async () => {
    const t0 = performance.now();
    await segmenter.segment(frame);
    const segmented = performance.now();
    if (embedder) await embedder.embed(boxes);
    return { segmentMs: segmented - t0, totalMs: performance.now() - t0 };
  };
  for (let i = 0; i < WARMUP_FRAMES; i++) await once();
  // One frame at a time, as a single live camera has them.
  const alone: { segmentMs: number; totalMs: number }[] = [];
  for (let i = 0; i < 5; i++) alone.push(await once());
  const medianOf = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const machineBefore = cpus(),
    processBefore = process.cpuUsage();
  const start = performance.now();
  let frames = 0;
  // At least MEASURE_MS and MIN_FRAMES (a slow model gets more time), at most 4 × MEASURE_MS.
  const more = () => {
    const ms = performance.now() - start;
    return ms < MEASURE_MS || (frames < MIN_FRAMES && ms < 4 * MEASURE_MS);
  };
  const lane = async () => {
    while (more()) {
      await once();
      frames++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, streams) }, lane));
  const wallMs = performance.now() - start;
  const fps = frames / (wallMs / 1000);
  const othersCpuShare = othersShare(machineBefore, cpus(), process.cpuUsage(processBefore), wallMs);
  return {
    fps,
    cpuMsPerFrame: (cores * 1000) / fps,
    latencyMs: medianOf(alone.map((a) => a.totalMs)),
    segmentMs: medianOf(alone.map((a) => a.segmentMs)),
    measuredAt: new Date().toISOString(),
    frames,
    othersCpuShare: Math.round(othersCpuShare * 1000) / 1000,
  };
}

/**
 * Share of the machine's CPU time, over `wallMs`, that went to other processes: all cores' busy
 * time (os.cpus, user + nice + sys + irq) less this process's (process.cpuUsage, all its threads),
 * over cores × wall time; 0-1.
 */
export function othersShare(
  before: readonly CpuInfo[],
  after: readonly CpuInfo[],
  ours: NodeJS.CpuUsage,
  wallMs: number,
): number {
  const busy = (cs: readonly CpuInfo[]) =>
    cs.reduce((n, c) => n + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0);
  const machineMs = busy(after) - busy(before);
  const oursMs = (ours.user + ours.system) / 1000;
  const capacityMs = wallMs * Math.max(1, after.length);
  return Math.min(1, Math.max(0, (machineMs - oursMs) / capacityMs));
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
    try {
      this.entries = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, ProfileCost>;
    } catch {
      this.entries = {};
    }
  }

  /** The key of a measurement: machine, layout, provider and the files measured. */
  static key(parts: {
    provider: string;
    streams: number;
    intraOpThreads: number;
    model: string;
    embedder: string | null;
  }): string {
    const file = (path: string | null) => {
      if (!path?.startsWith('/')) return path ?? 'none';
      try {
        const s = statSync(path);
        return `${path}:${s.size}:${Math.round(s.mtimeMs)}`;
      } catch {
        return path;
      }
    };
    return JSON.stringify({
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      provider: parts.provider,
      streams: parts.streams,
      intraOp: parts.intraOpThreads,
      model: file(parts.model),
      embedder: file(parts.embedder),
    });
  }

  /**
   * A cached cost, if it is fresh: entries older than {@link COST_MAX_AGE_MS} (and older ones
   * without `latencyMs`) count as missing, so they are measured again.
   */
  get(key: string, now = Date.now()): ProfileCost | undefined {
    const c = this.entries[key];
    return c && typeof c.latencyMs === 'number' && now - Date.parse(c.measuredAt) < COST_MAX_AGE_MS ? c : undefined;
  }

  /** Forgets every cached cost (they were found far from what the running pipeline sees). */
  clear(): void {
    this.entries = {};
    this.save();
  }

  /** Keeps a cost, unless it was measured while other processes took the CPU ({@link CONTENDED_SHARE}): @returns whether it was kept. */
  set(key: string, cost: ProfileCost): boolean {
    if ((cost.othersCpuShare ?? 0) > CONTENDED_SHARE) return false;
    this.entries[key] = cost;
    this.save();
    return true;
  }

  private save(): void {
    if (!this.file) return;
    try {
      makeFolders(join(this.file, '..'));
      writeFileSync(`${this.file}.tmp`, `${JSON.stringify(this.entries, null, 1)}\n`);
      renameSync(`${this.file}.tmp`, this.file);
    } catch {
      /* a read-only home: measured again next time */
    }
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
      rgb[i] = (x * 255) / width;
      rgb[i + 1] = (y * 255) / height;
      rgb[i + 2] = ((x ^ y) & 31) * 8;
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
    frame,
    count: n,
    boxes,
    scores: new Float32Array(n).fill(0.9),
    classIds: new Int32Array(n),
    classNames,
    masks: Array.from({ length: n }, () => null),
    embeddings: null,
    embeddingDim: 0,
    inferenceMs: 0,
  };
}
