import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { TrackPublisher } from '../../operators/publish-tracks.js';
import type { TrackMessage } from '../../operators/wire/track-messages.js';

/** What the delivery rule needs of a connected socket. */
export interface SubscriberSocket {
  readonly readyState: number;
  /** Bytes queued on the socket and not yet sent, bytes. */
  readonly bufferedAmount: number;
}

/**
 * The per-client delivery rule: a client gets the messages of the cameras it subscribed to
 * (`camera` null = all); snapshots are skipped while its send buffer holds more than
 * `maxBufferedBytes` (a slow consumer never grows memory without bound, and a newer snapshot
 * supersedes the skipped one); lifecycle events are always sent.
 * @returns 'send', 'skip-slow' (a snapshot held back for a slow client) or 'ignore' (closed, or another camera)
 */
export function deliveryFor(message: TrackMessage, camera: string | null, socket: SubscriberSocket, maxBufferedBytes: number): 'send' | 'skip-slow' | 'ignore' {
  if (socket.readyState !== WebSocket.OPEN || (camera !== null && camera !== message.camera)) return 'ignore';
  if (message.type === 'tracks' && socket.bufferedAmount > maxBufferedBytes) return 'skip-slow';
  return 'send';
}

/**
 * WebSocket edge: every client gets the JSON messages of all cameras (`ws://host:port/`) or of
 * one camera (`ws://host:port/cameras/<id>`), one message per WebSocket text frame, under the
 * rule of {@link deliveryFor}.
 */
export class TrackWebSocketServer implements TrackPublisher {
  readonly name = 'websocket';
  private readonly sent = { messages: 0, skippedSnapshots: 0 };
  private readonly filters = new Map<WebSocket, string | null>();
  private closing: Promise<void> | null = null;

  private constructor(private readonly wss: WebSocketServer, private readonly maxBufferedBytes: number) {
    wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
      const path = new URL(request.url ?? '/', 'ws://localhost').pathname;
      const m = path.match(/^\/cameras\/([^/]+)\/?$/);
      if (path !== '/' && !m) {
        socket.close(4404, 'unknown path: use / for all cameras or /cameras/<id>');
        return;
      }
      this.filters.set(socket, m ? decodeURIComponent(m[1]) : null);
      socket.on('close', () => this.filters.delete(socket));
      socket.on('error', () => this.filters.delete(socket));
    });
  }

  /**
   * Starts listening.
   * @throws Error (e.g. EADDRINUSE) naming the address when the port cannot be bound
   */
  static async start(host: string, port: number, maxBufferedBytes: number): Promise<TrackWebSocketServer> {
    const wss = new WebSocketServer({ host, port, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      wss.once('listening', resolve);
      wss.once('error', (err) => reject(new Error(`WebSocket server cannot listen on ${host}:${port}: ${err.message}. Pick another port with --ws-port or publish.websocket.port.`)));
    });
    return new TrackWebSocketServer(wss, maxBufferedBytes);
  }

  /** ws:// URL clients connect to. */
  get url(): string {
    const a = this.wss.address() as AddressInfo;
    return `ws://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}/`;
  }

  /** Messages sent (per client) and snapshots skipped for slow clients. */
  get counters(): Readonly<Record<string, number>> { return { ...this.sent, clients: this.filters.size }; }

  publish(message: TrackMessage, json: string): void {
    for (const [socket, camera] of this.filters) {
      const delivery = deliveryFor(message, camera, socket, this.maxBufferedBytes);
      if (delivery === 'skip-slow') this.sent.skippedSnapshots++;
      if (delivery !== 'send') continue;
      socket.send(json);
      this.sent.messages++;
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const socket of this.filters.keys()) socket.close(1001, 'edgevis stopping');
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      for (const socket of this.wss.clients) socket.terminate();
    })();
    return this.closing;
  }
}
