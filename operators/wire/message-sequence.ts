import type { TrackMessage, UnsequencedMessage } from './message-schema.js';

/** Sequence numbers a run may use per millisecond between its epoch and the next run's: seq = epoch × this + n. */
export const SEQUENCE_NUMBERS_PER_MS = 1000;

/**
 * One camera's message counter: stamps `seq` and `epoch` on every message of the camera in the
 * order they are published (snapshots, lifecycle events, states), so a subscriber can detect a gap
 * (missed messages) and drop a repeat (an MQTT QoS 1 duplicate).
 *
 * Numbers never go back, also across restarts and crashes of the process: a run numbers from
 * `epoch × 1000 + 1`, where `epoch` is the run's start time in ms since the Unix epoch (made
 * strictly increasing across runs by `runEpoch`), so a new run's numbers are above any the
 * previous run could have used unless it published 1000 messages per millisecond of its life.
 * A replay uses epoch 0 (numbers 1, 2, 3, …: its output is the same bytes every time). The
 * counter lives as long as the camera (kept across reconnects and restarts of the camera).
 */
export class MessageSequence {
  private next: number;

  /** @param epoch the run's epoch, ms since the Unix epoch (0 in a replay); must be a non-negative integer */
  constructor(readonly epoch = 0) {
    if (!Number.isInteger(epoch) || epoch < 0)
      throw new RangeError(`a run epoch is a non-negative integer of ms, not ${epoch}`);
    this.next = epoch * SEQUENCE_NUMBERS_PER_MS + 1;
  }

  /** The number of the last message stamped (epoch × 1000 before any). */
  get last(): number {
    return this.next - 1;
  }

  /** The message with the run's epoch and the camera's next sequence number. */
  stamp(message: UnsequencedMessage): TrackMessage {
    return { ...message, epoch: this.epoch, seq: this.next++ } as TrackMessage;
  }
}
