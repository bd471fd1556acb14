import mqtt, { type MqttClient } from 'mqtt';
import type { TrackPublisher } from '../../operators/publish-tracks.js';
import { topicOf, type TrackMessage } from '../../operators/wire/track-messages.js';
import { EmbeddedMqttBroker } from './mqtt-broker.js';

/** What the MQTT publisher needs of `publish.mqtt`. */
export interface MqttPublisherOptions {
  /** External broker URL; unset = start the embedded broker on brokerHost:brokerPort. */
  readonly url?: string;
  readonly brokerHost: string;
  readonly brokerPort: number;
  readonly topicPrefix: string;
  readonly eventQos: 0 | 1;
}

/**
 * MQTT edge: publishes snapshots (QoS 0) on `<prefix>/<camera>/tracks`, lifecycle events
 * (QoS `eventQos`) on `<prefix>/<camera>/events`, each camera's state (QoS 1, retained) on
 * `<prefix>/<camera>/status`, and keeps `<prefix>/status` retained at
 * "online" / "offline" (last will), as Frigate does with `frigate/available`. It owns the
 * embedded broker when it started one, and closes it last.
 * While the broker is unreachable, messages are dropped (counted) and the client reconnects.
 */
export class MqttTrackPublisher implements TrackPublisher {
  readonly name = 'mqtt';
  private readonly sent = { messages: 0, droppedWhileOffline: 0 };
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly client: MqttClient, readonly url: string, private readonly broker: EmbeddedMqttBroker | null,
    private readonly prefix: string, private readonly eventQos: 0 | 1,
  ) {}

  /** True when this publisher runs the embedded broker. */
  get embeddedBroker(): boolean { return this.broker !== null; }

  /** Messages published, and messages dropped while the broker was unreachable. */
  get counters(): Readonly<Record<string, number>> { return { ...this.sent }; }

  /**
   * Starts the embedded broker when no URL is given, then connects.
   * @throws Error naming the address when the embedded broker cannot listen, or the URL when the first connection fails within `timeoutMs`
   */
  static async start(options: MqttPublisherOptions, timeoutMs = 5000): Promise<MqttTrackPublisher> {
    const broker = options.url ? null : await EmbeddedMqttBroker.start(options.brokerHost, options.brokerPort);
    const url = options.url ?? broker!.url;
    const statusTopic = `${options.topicPrefix}/status`;
    const client = mqtt.connect(url, {
      protocolVersion: 4, // MQTT 3.1.1: what aedes and every broker speak
      clientId: `edgevis-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 2000,
      connectTimeout: timeoutMs,
      queueQoSZero: false,
      will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
        client.once('connect', () => { clearTimeout(timer); resolve(); });
        client.once('error', (err) => { clearTimeout(timer); reject(err); });
      });
    } catch (err) {
      client.end(true);
      await broker?.close();
      throw new Error(`MQTT broker ${url} not reachable (${(err as Error).message}). Start the broker, fix --mqtt-url, or omit it to use the embedded broker.`);
    }
    client.publish(statusTopic, 'online', { qos: 1, retain: true });
    return new MqttTrackPublisher(client, url, broker, options.topicPrefix, options.eventQos);
  }

  /** Connected to the broker, or why not. */
  health(): { ok: boolean; reason?: string } {
    return this.client.connected ? { ok: true } : { ok: false, reason: `not connected to the MQTT broker ${this.url} (reconnecting)` };
  }

  publish(message: TrackMessage, json: string): void {
    if (!this.client.connected) { this.sent.droppedWhileOffline++; return; }
    // Snapshots are superseded by the next one (QoS 0); a camera's state is retained, so a new subscriber learns it at once.
    const options = message.type === 'tracks' ? { qos: 0 as const } : message.type === 'camera_status' ? { qos: 1 as const, retain: true } : { qos: this.eventQos };
    this.client.publish(topicOf(this.prefix, message), json, options);
    this.sent.messages++;
  }

  /** Marks the status offline, disconnects, then stops the embedded broker (if any). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.client.connected) {
        await new Promise<void>((resolve) => this.client.publish(`${this.prefix}/status`, 'offline', { qos: 1, retain: true }, () => resolve()));
      }
      await this.client.endAsync();
      await this.broker?.close();
    })();
    return this.closing;
  }
}
