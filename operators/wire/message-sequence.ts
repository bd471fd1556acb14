import type { TrackMessage, UnsequencedMessage } from './message-schema.js';

/**
 * One camera's message counter: stamps `seq` = 1, 2, 3, … on every message of the camera in the
 * order they are published (snapshots, lifecycle events, states), so a subscriber can detect a gap
 * (missed messages) and drop a repeat (an MQTT QoS 1 duplicate). It lives as long as the camera
 * (kept across reconnects and restarts), so numbers never go back; a replay numbers the same way.
 */
export class MessageSequence {
  private next = 1;

  /** The number of the last message stamped (0 before any). */
  get last(): number { return this.next - 1; }

  /** The message with the camera's next sequence number. */
  stamp(message: UnsequencedMessage): TrackMessage {
    return { ...message, seq: this.next++ } as TrackMessage;
  }
}
