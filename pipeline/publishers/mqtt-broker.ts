import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { tokenMatches } from '../http/access.js';

/** User name and password of an MQTT client. */
export interface MqttCredentials {
  readonly username: string;
  readonly password: string;
}

/** Who may do what on the embedded broker. */
export interface EmbeddedBrokerAccess {
  /** Topic prefix edgevis publishes under (`<prefix>/#`); subscribers may read only below it. */
  readonly prefix: string;
  /** Credentials subscribers must present; null = anonymous readers are accepted. */
  readonly readers: MqttCredentials | null;
}

/** Whether an MQTT topic filter stays inside `<prefix>/…` (no `#` or `+` at the prefix's own levels). */
export function isUnderPrefix(topic: string, prefix: string): boolean {
  return topic === prefix || topic.startsWith(`${prefix}/`);
}

/**
 * The embedded MQTT 3.1.1 broker (aedes), used when no external broker URL is configured, so
 * `mosquitto_sub -t 'edgevis/#'` works out of the box. Access is checked (aedes `authenticate`,
 * `authorizePublish`, `authorizeSubscribe`): only edgevis itself (a random password made at start)
 * may publish, and only under its prefix; readers authenticate with the configured credentials
 * (or anonymously when none are set) and may subscribe only under the prefix (no `#`, no `$SYS`).
 */
export class EmbeddedMqttBroker {
  private constructor(
    private readonly broker: Aedes,
    private readonly server: Server,
    readonly publisherCredentials: MqttCredentials,
    private readonly secure: boolean,
  ) {}

  /** @throws Error naming the address when the port cannot be bound */
  static async start(
    host: string,
    port: number,
    access: EmbeddedBrokerAccess,
    tls?: { cert: Buffer; key: Buffer },
  ): Promise<EmbeddedMqttBroker> {
    const own: MqttCredentials = { username: 'edgevis', password: randomBytes(24).toString('hex') };
    const publishers = new WeakSet<Client>();
    const broker = await Aedes.createBroker({
      authenticate(client, username, password, done) {
        const pass = password?.toString() ?? '';
        if (username === own.username && tokenMatches(pass, own.password)) {
          publishers.add(client);
          done(null, true);
          return;
        }
        if (!access.readers) {
          done(null, true);
          return;
        }
        if (username === access.readers.username && tokenMatches(pass, access.readers.password)) {
          done(null, true);
          return;
        }
        done(Object.assign(new Error('bad user name or password'), { returnCode: 4 }), false);
      },
      authorizePublish(client, packet, callback) {
        // The broker's own messages (a client's last will) come with no client.
        if (client === null || (publishers.has(client) && isUnderPrefix(packet.topic, access.prefix))) callback(null);
        else callback(new Error(`publishing to ${packet.topic} is not allowed`));
      },
      authorizeSubscribe(_client, subscription, callback) {
        // A refused filter is negated (SUBACK 0x80) rather than dropping the connection, so the reader learns which.
        callback(null, isUnderPrefix(subscription.topic, access.prefix) ? subscription : null);
      },
    });
    const server: Server = tls
      ? createTlsServer({ cert: tls.cert, key: tls.key }, broker.handle)
      : createServer(broker.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(
          new Error(
            `embedded MQTT broker cannot listen on ${host}:${port}: ${err.message}. Pick another port with --mqtt-port, or use an external broker with --mqtt-url.`,
          ),
        ),
      );
      server.listen(port, host, resolve);
    });
    return new EmbeddedMqttBroker(broker, server, own, tls !== undefined);
  }

  /** mqtt:// URL of the broker. */
  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `${this.secure ? 'mqtts' : 'mqtt'}://${a.address}:${a.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
