import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { TrackPublisher } from '../operators/publish-tracks.js';
import type { TrackMessage } from '../operators/track-messages.js';

/**
 * WebSocket edge: every client gets the JSON messages of all cameras (`ws://host:port/`) or of
 * one camera (`ws://host:port/cameras/<id>`), one message per WebSocket text frame. Snapshots
 * are skipped for a client whose send buffer is over `maxBufferedBytes` (a slow consumer never
 * grows memory without bound); lifecycle events are always sent.
 */
export class TrackWebSocketServer implements TrackPublisher {
  /** Snapshots not sent to slow clients. */
  skippedSnapshots = 0;
  private readonly filters = new Map<WebSocket, string | null>();

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

  /** Number of connected clients. */
  get clientCount(): number { return this.filters.size; }

  publish(message: TrackMessage, json: string): void {
    for (const [socket, camera] of this.filters) {
      if (socket.readyState !== WebSocket.OPEN || (camera !== null && camera !== message.camera)) continue;
      if (message.type === 'tracks' && socket.bufferedAmount > this.maxBufferedBytes) { this.skippedSnapshots++; continue; }
      socket.send(json);
    }
  }

  async close(): Promise<void> {
    for (const socket of this.filters.keys()) socket.close(1001, 'edgevis stopping');
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    for (const socket of this.wss.clients) socket.terminate();
  }
}
