/** The two orders a camera's messages keep: snapshots, and events with states (separate subjects, separate consumers). */
export type FenceChannel = 'tracks' | 'events';

/**
 * Lets each camera's message through once, in order: a message passes when its `seq` is above the
 * last one passed on its channel. Sequence numbers hold the owner's lease epoch (epoch × 1000 + n)
 * and epochs only grow from owner to owner, so the same rule drops a copy (the node's own message
 * coming back from the stream after it was delivered locally) and a stale owner's late messages
 * once the new owner's have been seen.
 */
export class SequenceFence {
  private readonly last = new Map<string, number>();

  /** Whether the message passes (and it is remembered as the last one when it does). */
  admit(camera: string, channel: FenceChannel, seq: number): boolean {
    const key = `${channel}\u0000${camera}`;
    if (seq <= (this.last.get(key) ?? -1)) return false;
    this.last.set(key, seq);
    return true;
  }

  /** The camera left the site: its numbers are forgotten. */
  forget(camera: string): void {
    this.last.delete(`tracks\u0000${camera}`);
    this.last.delete(`events\u0000${camera}`);
  }
}
