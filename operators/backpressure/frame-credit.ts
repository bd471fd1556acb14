/**
 * Demand between a pull-based source and the stage that consumes its frames
 * (Reactive Streams `request(n)`): the source awaits {@link acquire} before reading a frame,
 * the consumer calls {@link release} when it finished one. Keeps at most `capacity`
 * frames in flight, so a fast file decoder never queues the whole file in memory.
 */
export class FrameCredit {
  private available: number;
  private readonly waiters: (() => void)[] = [];

  /** @param capacity frames allowed in flight (≥ 1) */
  constructor(readonly capacity = 2) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new Error(`frame credit capacity must be a positive integer, got ${capacity}`);
    this.available = capacity;
  }

  /** Resolves when a frame may be read. */
  acquire(): Promise<void> {
    return new Promise((resolve) => this.request(resolve));
  }

  /**
   * Calls `granted` once a frame may be read: at once (synchronously) when a credit is free, else
   * from the {@link release} that frees one, in the order asked.
   */
  request(granted: () => void): void {
    if (this.available > 0) {
      this.available--;
      granted();
      return;
    }
    this.waiters.push(granted);
  }

  /** Returns one credit (a frame finished or was dropped). */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available = Math.min(this.capacity, this.available + 1);
  }
}
