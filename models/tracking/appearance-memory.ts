/**
 * A track's memory of its appearance: an exponential moving average of L2-normalised
 * embeddings plus a ring of the last `capacity` confident prototypes. Distance to a new
 * embedding is the smallest cosine distance to the EMA or any prototype, so a track keeps
 * matching views it had before an occlusion (MaskTrack R-CNN's memory of identified
 * instances, Yang et al. 2019; several prototypes as in VISOLO's space-time memory, Han et al.
 * 2022; EMA as in JDE / BoT-SORT).
 */
export class AppearanceMemory {
  private readonly ema: Float32Array;
  private readonly prototypes: Float32Array;
  private stored = 0;
  private next = 0;
  private hasEma = false;

  /**
   * @param dim embedding length
   * @param capacity prototypes kept
   * @param momentum EMA momentum in [0, 1): ema ← m·ema + (1−m)·e
   */
  constructor(
    readonly dim: number,
    readonly capacity: number,
    readonly momentum: number,
  ) {
    this.ema = new Float32Array(dim);
    this.prototypes = new Float32Array(dim * capacity);
  }

  /** Whether anything was memorised yet. */
  get empty(): boolean {
    return !this.hasEma;
  }

  /** Adds an L2-normalised embedding (`source[offset .. offset+dim]`). */
  add(source: Float32Array, offset: number): void {
    const { dim, momentum } = this;
    if (!this.hasEma) {
      this.ema.set(source.subarray(offset, offset + dim));
      this.hasEma = true;
    } else {
      let norm = 0;
      for (let i = 0; i < dim; i++) {
        const v = momentum * this.ema[i] + (1 - momentum) * source[offset + i];
        this.ema[i] = v;
        norm += v * v;
      }
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < dim; i++) this.ema[i] /= norm;
    }
    this.prototypes.set(source.subarray(offset, offset + dim), this.next * dim);
    this.next = (this.next + 1) % this.capacity;
    this.stored = Math.min(this.stored + 1, this.capacity);
  }

  /**
   * Smallest cosine distance (1 − cos, in [0, 2]) between an L2-normalised embedding and the
   * memory; Infinity when the memory is empty.
   */
  distance(source: Float32Array, offset: number): number {
    if (!this.hasEma) return Infinity;
    const { dim } = this;
    let best = 1 - dot(this.ema, 0, source, offset, dim);
    for (let p = 0; p < this.stored; p++) best = Math.min(best, 1 - dot(this.prototypes, p * dim, source, offset, dim));
    return Math.max(0, best);
  }
}

function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  // Four accumulators: the loop is the tracker's hot spot (a few per candidate pair per frame).
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0,
    i = 0;
  for (; i + 3 < n; i += 4) {
    s0 += a[ao + i] * b[bo + i];
    s1 += a[ao + i + 1] * b[bo + i + 1];
    s2 += a[ao + i + 2] * b[bo + i + 2];
    s3 += a[ao + i + 3] * b[bo + i + 3];
  }
  for (; i < n; i++) s0 += a[ao + i] * b[bo + i];
  return s0 + s1 + s2 + s3;
}
