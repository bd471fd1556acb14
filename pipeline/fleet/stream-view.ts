import type { JetStreamClient } from '@nats-io/jetstream';
import type { CameraStatusMessage, GapMessage, TrackMessage } from '../../operators/wire/message-schema.js';
import type { Logger } from '../process/logger.js';
import type { FleetNames } from './fleet-names.js';

/** Where the view delivers what it reads (the node's WebSocket server). */
export interface ViewSink {
  publish(message: TrackMessage, json: string): void;
  publishGap(gap: GapMessage, json: string): void;
}

/**
 * One view of the site: reads every camera's messages from the fleet's stream and hands them to
 * this node's WebSocket server, so any node serves every camera (state, owner node, tracks,
 * events). Events and states are read from `historyMs` back (what `?since=` can resume from on
 * any node), snapshots from now. Ordered consumers: the client re-creates them after a reconnect
 * or a server lost, from the last message delivered.
 */
export class FleetStreamView {
  /** The latest state of every camera in the stream (its `node` is the owner). */
  readonly statuses = new Map<string, CameraStatusMessage>();
  private readonly stops: (() => void)[] = [];
  readonly counters = { events: 0, snapshots: 0, malformed: 0 };

  constructor(
    private readonly js: JetStreamClient,
    private readonly names: FleetNames,
    private readonly sink: ViewSink,
    private readonly log: Logger,
  ) {}

  /** Starts both readers. */
  async start(historyMs: number): Promise<void> {
    await this.read(this.names.eventsStream, this.names.allEvents, {
      deliver_policy: 'by_start_time',
      opt_start_time: new Date(Date.now() - historyMs).toISOString(),
    });
    await this.read(this.names.tracksStream, this.names.allTracks, { deliver_policy: 'new' });
  }

  private async read(stream: string, subject: string, start: Record<string, unknown>): Promise<void> {
    const consumer = await this.js.consumers.get(stream, { filter_subjects: subject, ...start } as never);
    const messages = await consumer.consume();
    this.stops.push(() => void messages.stop());
    void (async () => {
      for await (const m of messages) {
        const json = m.string();
        let message: TrackMessage | GapMessage;
        try {
          message = JSON.parse(json) as TrackMessage | GapMessage;
        } catch {
          this.counters.malformed++;
          continue;
        }
        if (message.type === 'gap') {
          this.counters.events++;
          this.sink.publishGap(message, json);
          continue;
        }
        if (message.type === 'tracks') this.counters.snapshots++;
        else this.counters.events++;
        if (message.type === 'camera_status') this.statuses.set(message.camera, message);
        try {
          this.sink.publish(message, json);
        } catch (err) {
          this.log.warn(
            { err: (err as Error).message, subject: m.subject },
            'a message from the stream was not delivered',
          );
        }
      }
    })();
  }

  /** Stops reading. */
  stop(): void {
    for (const s of this.stops) s();
  }
}
