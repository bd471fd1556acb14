/**
 * Frame buffers of one source connection, used again once the graph is done with their pixels.
 *
 * A camera decoding 768×576 at 25 frames/s would otherwise allocate 33 MB/s of fresh 1.3 MB
 * buffers: page faults on the main thread, and external memory that drives V8's full collections
 * (measured in the pipeline: 0.5 ms per frame of main-thread time on a bad run). The source pulls
 * into a free buffer ({@link take}) — the binding converts the sample into it on a libuv thread — and
 * {@link recycleFrameBuffer}, called once the last stage that reads pixels (the embedder) has
 * finished with a frame, gives the buffer back.
 *
 * Safety: recycling detaches the frame's ArrayBuffer (a zero-copy transfer to a new one), so a stage
 * that kept the frame past that point reads an empty `rgb` (length 0), never the pixels of a later
 * frame written into the same memory.
 */
export class FrameBufferPool {
  private readonly free: Uint8Array[] = [];
  private byteLength = -1;
  private closed = false;

  /** @param capacity free buffers kept at most (frames in flight + 1 is enough) */
  constructor(readonly capacity: number) {}

  /** A free buffer of the frames' current size (that of the last adopted frame), or undefined: then the source allocates one. */
  take(): Uint8Array | undefined {
    return this.free.pop();
  }

  /**
   * Registers a frame's pixels as this pool's, to come back through {@link recycleFrameBuffer}.
   * Only a view over a whole ArrayBuffer can be recycled (a slice of a shared one is left alone).
   * A new frame size drops the free buffers of the old one.
   */
  adopt(rgb: Uint8Array): void {
    if (
      this.closed ||
      rgb.byteOffset !== 0 ||
      rgb.byteLength !== rgb.buffer.byteLength ||
      !(rgb.buffer instanceof ArrayBuffer)
    )
      return;
    if (rgb.byteLength !== this.byteLength) {
      this.free.length = 0;
      this.byteLength = rgb.byteLength;
    }
    owners.set(rgb.buffer, this);
  }

  /** The connection ended: free buffers go, and frames still in the graph are not taken back. */
  close(): void {
    this.closed = true;
    this.free.length = 0;
  }

  /** Takes a buffer back: a recycled frame's memory (see recycleFrameBuffer), or a pull's target the frame did not fit. */
  giveBack(buffer: ArrayBuffer): void {
    if (!this.closed && buffer.byteLength === this.byteLength && this.free.length < this.capacity)
      this.free.push(new Uint8Array(buffer));
  }
}

/** Which pool each adopted frame buffer belongs to (weak: a frame dropped on the way is just collected). */
const owners = new WeakMap<ArrayBufferLike, FrameBufferPool>();

/**
 * Gives a frame's pixel buffer back to the pool of the source that filled it; every view of it
 * (the frame's `rgb`) is detached and reads as empty from then on. Frames from no pool (frame
 * folders, tests) are left untouched. Call it only when no stage will read the pixels again.
 */
export function recycleFrameBuffer(rgb: Uint8Array): void {
  const pool = owners.get(rgb.buffer);
  if (!pool) return;
  owners.delete(rgb.buffer);
  // A transfer moves the memory to a new ArrayBuffer without copying and detaches the old one.
  pool.giveBack(structuredClone(rgb.buffer as ArrayBuffer, { transfer: [rgb.buffer as ArrayBuffer] }));
}
