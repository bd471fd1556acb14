import mqtt, { type MqttClient } from 'mqtt';
import type { TrackPublisher } from '../operators/publish-tracks.js';
import { topicOf, type TrackMessage } from '../operators/track-messages.js';

/**
 * MQTT edge: publishes snapshots (QoS 0) on `<prefix>/<camera>/tracks` and lifecycle events
 * (QoS `eventQos`) on `<prefix>/<camera>/events`, and keeps `<prefix>/status` retained at
 * "online" / "offline" (last will), as Frigate does with `frigate/available`.
 * While the broker is unreachable, snapshots are dropped (not queued) and the client reconnects.
 */
export class MqttTrackPublisher implements TrackPublisher {
  /** Messages dropped while disconnected. */
  droppedWhileOffline = 0;

  private constructor(private readonly client: MqttClient, private readonly prefix: string, private readonly eventQos: 0 | 1) {}

  /**
   * Connects to a broker.
   * @throws Error naming the URL when the first connection fails within `timeoutMs`
   */
  static async connect(url: string, prefix: string, eventQos: 0 | 1, timeoutMs = 5000): Promise<MqttTrackPublisher> {
    const statusTopic = `${prefix}/status`;
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
      throw new Error(`MQTT broker ${url} not reachable (${(err as Error).message}). Start the broker, fix --mqtt-url, or omit it to use the embedded broker.`);
    }
    client.publish(statusTopic, 'online', { qos: 1, retain: true });
    return new MqttTrackPublisher(client, prefix, eventQos);
  }

  publish(message: TrackMessage, json: string): void {
    if (!this.client.connected) { this.droppedWhileOffline++; return; }
    this.client.publish(topicOf(this.prefix, message), json, { qos: message.type === 'tracks' ? 0 : this.eventQos });
  }

  async close(): Promise<void> {
    if (this.client.connected) {
      await new Promise<void>((resolve) => this.client.publish(`${this.prefix}/status`, 'offline', { qos: 1, retain: true }, () => resolve()));
    }
    await this.client.endAsync();
  }
}
