import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';

/**
 * The embedded MQTT 3.1.1 broker (aedes), used when no external broker URL is configured,
 * so `mosquitto_sub -t 'edgevis/#'` works out of the box.
 */
export class EmbeddedMqttBroker {
  private constructor(private readonly broker: Aedes, private readonly server: Server) {}

  /** @throws Error naming the address when the port cannot be bound */
  static async start(host: string, port: number): Promise<EmbeddedMqttBroker> {
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`embedded MQTT broker cannot listen on ${host}:${port}: ${err.message}. Pick another port with --mqtt-port, or use an external broker with --mqtt-url.`)));
      server.listen(port, host, resolve);
    });
    return new EmbeddedMqttBroker(broker, server);
  }

  /** mqtt:// URL of the broker. */
  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `mqtt://${a.address}:${a.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
