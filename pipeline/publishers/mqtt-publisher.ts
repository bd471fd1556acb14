import mqtt, { type MqttClient } from 'mqtt';
import type { TrackPublisher } from '../../operators/publish-tracks.js';
import { topicOf, withoutMasks, type TrackMessage } from '../../operators/wire/track-messages.js';
import { redactSource } from '../../operators/sources/source-error.js';
import type { Logger } from '../process/logger.js';
import { EmbeddedMqttBroker, type MqttCredentials } from './mqtt-broker.js';

/** The retained online/offline topic of one edgevis process, so several can share a broker. */
export function nodeStatusTopic(prefix: string, nodeId: string): string {
  return `${prefix}/nodes/${nodeId}/status`;
}

/** Events and states kept for the broker while it is unreachable (about 1 MB of JSON events); beyond it they are dropped and counted. */
export const MAX_OFFLINE_MESSAGES = 5000;

/** What the MQTT publisher needs of `publish.mqtt`. */
export interface MqttPublisherOptions {
  /** External broker URL; unset = start the embedded broker on brokerHost:brokerPort. */
  readonly url?: string;
  readonly brokerHost: string;
  readonly brokerPort: number;
  readonly topicPrefix: string;
  readonly eventQos: 0 | 1;
  /** This process's node id: its status topic is `<prefix>/nodes/<nodeId>/status`. */
  readonly nodeId: string;
  /** Embedded broker: serve mqtts:// with this certificate and key. */
  readonly brokerTls?: { cert: Buffer; key: Buffer };
  /** Also publish snapshots without masks on `<prefix>/<camera>/tracks/nomask`. */
  readonly snapshotsWithoutMasks?: boolean;
  /** External broker: the credentials edgevis connects with. Embedded broker: what readers must present (null = anonymous readers). */
  readonly credentials?: MqttCredentials | null;
  /** External broker over TLS: CA certificate (PEM). */
  readonly ca?: Buffer;
}

/**
 * MQTT edge: publishes snapshots (QoS 0) on `<prefix>/<camera>/tracks` (and without masks on
 * `<prefix>/<camera>/tracks/nomask`), lifecycle events
 * (QoS `eventQos`) on `<prefix>/<camera>/events`, each camera's state (QoS 1, retained) on
 * `<prefix>/<camera>/status`, and keeps its node's `<prefix>/nodes/<nodeId>/status` retained at
 * "online" / "offline" (last will), as Frigate does with `frigate/available`. It owns the
 * embedded broker when it started one, and closes it last.
 *
 * No event is lost to a broker restart: while the broker is unreachable the client reconnects
 * (every 2 s, forever; also when the broker is down at start-up), lifecycle events and camera
 * states wait in mqtt.js's offline queue (bounded by {@link MAX_OFFLINE_MESSAGES}; beyond it they
 * are dropped, counted and warned about) and are sent after the reconnect; snapshots are dropped
 * while offline (the next one supersedes them). `online` and every camera's latest state are
 * published again on every reconnect (a broker restarted without persistence has lost the
 * retained ones); a removed camera's retained state is cleared.
 * Each change of connection is logged once.
 */
export class MqttTrackPublisher implements TrackPublisher {
  readonly name = 'mqtt';
  private readonly sent = { messages: 0, droppedWhileOffline: 0, queuedWhileOffline: 0 };
  /** Messages handed to the offline queue since the connection was lost. */
  private offlineQueued = 0;
  /** Whether this outage already warned that events are dropped. */
  private warnedQueueFull = false;
  private closing: Promise<void> | null = null;
  /** Each camera's latest state (topic, JSON), published again after every reconnect. */
  private readonly statuses = new Map<string, { topic: string; json: string }>();

  private constructor(
    private readonly client: MqttClient,
    readonly url: string,
    private readonly broker: EmbeddedMqttBroker | null,
    private readonly prefix: string,
    private readonly eventQos: 0 | 1,
    private readonly statusTopic: string,
    private readonly log?: Logger,
    private readonly alsoWithoutMasks = true,
  ) {
    let wasConnected = client.connected;
    client.on('connect', () => {
      client.publish(statusTopic, 'online', { qos: 1, retain: true });
      // A broker that restarted without persistence lost the retained states; one that kept them gets the same again.
      // ('connect' comes after mqtt.js sent what it queued while offline, so these never overtake queued events.)
      if (wasConnected === false)
        for (const { topic, json } of this.statuses.values()) client.publish(topic, json, { qos: 1, retain: true });
      if (!wasConnected)
        log?.info(
          { broker: url, queued: this.offlineQueued },
          `MQTT broker ${url} connected${this.offlineQueued ? `; ${this.offlineQueued} queued messages are being sent` : ''}`,
        );
      wasConnected = true;
      this.offlineQueued = 0;
      this.warnedQueueFull = false;
    });
    client.on('close', () => {
      if (wasConnected && !this.closing)
        log?.warn(
          { broker: url },
          `MQTT broker ${url} unreachable; reconnecting every 2 s, events are queued (up to ${MAX_OFFLINE_MESSAGES}) and sent after the reconnect`,
        );
      wasConnected = false;
    });
    client.on('error', (err) => log?.debug({ broker: url, err: err.message }, 'MQTT client error'));
  }

  /** True when this publisher runs the embedded broker. */
  get embeddedBroker(): boolean {
    return this.broker !== null;
  }

  /** Messages published, and messages dropped while the broker was unreachable. */
  get counters(): Readonly<Record<string, number>> {
    return { ...this.sent };
  }

  /**
   * Starts the embedded broker when no URL is given, then connects.
   * @throws Error naming the address when the embedded broker cannot listen, or the URL when the first connection fails within `timeoutMs`
   */
  static async start(options: MqttPublisherOptions, log?: Logger, timeoutMs = 5000): Promise<MqttTrackPublisher> {
    const broker = options.url
      ? null
      : await EmbeddedMqttBroker.start(
          options.brokerHost,
          options.brokerPort,
          { prefix: options.topicPrefix, readers: options.credentials ?? null },
          options.brokerTls,
        );
    const url = options.url ?? broker!.url;
    // On the embedded broker edgevis is the only publisher (its own random password); on an external one it uses the configured user.
    const login = broker ? broker.publisherCredentials : (options.credentials ?? undefined);
    const statusTopic = nodeStatusTopic(options.topicPrefix, options.nodeId);
    const client = mqtt.connect(url, {
      protocolVersion: 4, // MQTT 3.1.1: what aedes and every broker speak
      clientId: `edgevis-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: 2000,
      connectTimeout: timeoutMs,
      queueQoSZero: false,
      ...(login ? { username: login.username, password: login.password } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
      // edgevis's own client trusts its embedded broker's certificate (it is on this machine).
      ...(broker && options.brokerTls ? { ca: options.brokerTls.cert, checkServerIdentity: () => undefined } : {}),
      will: { topic: statusTopic, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        client.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        client.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
    } catch (err) {
      if (broker) {
        // our own broker must work; an external one may come up later
        client.end(true);
        await broker.close();
        throw new Error(`embedded MQTT broker ${url} does not answer (${(err as Error).message})`);
      }
      log?.warn(
        { broker: redactSource(url) },
        `MQTT broker ${redactSource(url)} not reachable yet (${(err as Error).message}); edgevis keeps trying every 2 s and queues events meanwhile. Start the broker, fix --mqtt-url, or omit it to use the embedded broker.`,
      );
    }
    const publisher = new MqttTrackPublisher(
      client,
      redactSource(url),
      broker,
      options.topicPrefix,
      options.eventQos,
      statusTopic,
      log,
      options.snapshotsWithoutMasks ?? true,
    );
    if (client.connected) client.publish(statusTopic, 'online', { qos: 1, retain: true });
    return publisher;
  }

  /** Connected to the broker, or why not. */
  health(): { ok: boolean; reason?: string } {
    return this.client.connected
      ? { ok: true }
      : { ok: false, reason: `not connected to the MQTT broker ${this.url} (reconnecting)` };
  }

  publish(message: TrackMessage, json: string): void {
    // Snapshots are superseded by the next one (QoS 0); a camera's state is retained, so a new subscriber learns it at once.
    const options =
      message.type === 'tracks'
        ? { qos: 0 as const }
        : message.type === 'camera_status'
          ? { qos: 1 as const, retain: true }
          : { qos: this.eventQos };
    if (message.type === 'camera_status')
      this.statuses.set(message.camera, { topic: topicOf(this.prefix, message), json });
    if (!this.client.connected) {
      // Offline: mqtt.js queues what is published now and sends it after the reconnect (QoS ≥ 1 only).
      if (options.qos === 0 || this.offlineQueued >= MAX_OFFLINE_MESSAGES) {
        this.sent.droppedWhileOffline++;
        if (options.qos > 0 && !this.warnedQueueFull) {
          this.warnedQueueFull = true;
          this.log?.warn(
            `MQTT offline queue full (${MAX_OFFLINE_MESSAGES} messages): further events are dropped and counted`,
          );
        }
        return;
      }
      this.offlineQueued++;
      this.sent.queuedWhileOffline++;
    }
    this.client.publish(topicOf(this.prefix, message), json, options);
    this.sent.messages++;
    if (this.alsoWithoutMasks && message.type === 'tracks' && message.tracks.some((k) => k.mask)) {
      this.client.publish(`${topicOf(this.prefix, message)}/nomask`, JSON.stringify(withoutMasks(message)), options);
    }
  }

  /** Retains the JPEG on `<prefix>/<camera>/<label>/snapshot` (Frigate's convention): a subscriber sees the latest one of each kind at once. Dropped while offline. */
  publishSnapshot(cameraId: string, label: string, jpeg: Buffer): void {
    if (!this.client.connected) {
      this.sent.droppedWhileOffline++;
      return;
    }
    this.client.publish(`${this.prefix}/${cameraId}/${label.replace(/[#+/]/g, '_')}/snapshot`, jpeg, {
      qos: 0,
      retain: true,
    });
    this.sent.messages++;
  }

  /** Clears the removed camera's retained state on the broker (an empty retained message), so it is not shown for good. */
  forgetCamera(cameraId: string): void {
    const kept = this.statuses.get(cameraId);
    this.statuses.delete(cameraId);
    if (kept) this.client.publish(kept.topic, '', { qos: 1, retain: true });
  }

  /** Marks the status offline, disconnects, then stops the embedded broker (if any). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.client.connected) {
        await new Promise<void>((resolve) =>
          this.client.publish(this.statusTopic, 'offline', { qos: 1, retain: true }, () => resolve()),
        );
      }
      await this.client.endAsync();
      await this.broker?.close();
    })();
    return this.closing;
  }
}
