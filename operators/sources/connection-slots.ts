/** A place in line for a connection slot. */
export interface SlotTicket {
  /** Resolves once the slot is held (never rejects; a cancelled ticket never resolves). */
  readonly granted: Promise<void>;
  /** Gives the slot back, or leaves the line if it was not granted yet. Idempotent. */
  release(): void;
}

/**
 * Bounds how many cameras connect at the same time, process-wide: a connection attempt (RTSP
 * DESCRIBE/SETUP, DNS, TCP connect, decoder preroll, up to `connectTimeoutMs`) holds a slot until
 * its first frame, its failure or its teardown; the others wait in line. Two hundred unreachable
 * cameras then cost at most `capacity` pipelines being built at a time (GStreamer threads, memory,
 * CPU) instead of two hundred at once, and a streaming camera, which holds no slot, never waits.
 *
 * The line is ordered by attempt (fewer failed attempts in a row first, then first come): a camera
 * that just dropped and reconnects (attempt 1) goes before cameras that have been failing for a
 * long time, so a reconnect storm of dead cameras cannot delay a healthy camera's return.
 */
export class ConnectionSlots {
  private held = 0;
  private readonly line: { attempt: number; order: number; grant: () => void }[] = [];
  private order = 0;

  /** @param capacity connections at a time, ≥ 1 */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`connection slots must be a positive integer, not ${capacity}`);
  }

  /** Slots held now. */
  get inUse(): number {
    return this.held;
  }
  /** Attempts waiting in line. */
  get waiting(): number {
    return this.line.length;
  }

  /**
   * Asks for a slot.
   * @param attempt failed attempts in a row of the asking camera (0 for its first connection)
   */
  request(attempt = 0): SlotTicket {
    let state: 'waiting' | 'held' | 'done' = 'waiting';
    let grant!: () => void;
    const granted = new Promise<void>((resolve) => {
      grant = () => {
        state = 'held';
        resolve();
      };
    });
    const entry = { attempt, order: this.order++, grant };
    const at = this.line.findIndex((e) => e.attempt > attempt);
    this.line.splice(at < 0 ? this.line.length : at, 0, entry);
    this.admit();
    return {
      granted,
      release: () => {
        if (state === 'done') return;
        if (state === 'held') this.held--;
        else this.line.splice(this.line.indexOf(entry), 1);
        state = 'done';
        this.admit();
      },
    };
  }

  private admit(): void {
    while (this.held < this.capacity && this.line.length > 0) {
      this.held++;
      this.line.shift()!.grant();
    }
  }
}
