import { WebSocket, WebSocketServer } from 'ws';
import type { TrackPublisher } from '../../operators/publish-tracks.js';
import type { ReaderAccess } from './access.js';
import { HttpEdge, rejectUpgrade } from './http-edge.js';
import type { PreviewHub } from './viewer/preview-hub.js';
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

/** Largest message a subscriber may send, bytes: subscribers only listen (a bigger frame closes the socket with 1009). */
const MAX_CLIENT_PAYLOAD_BYTES = 64 * 1024;

/**
 * Which cameras a WebSocket request path asks for: `/` = all (null), `/cameras/<id>` = one
 * (percent-decoded); an error text for anything else, decided before the handshake.
 */
export function cameraFilterOf(requestUrl: string | undefined): { camera: string | null; previewFps?: number } | { status: 400 | 404; error: string } {
  let url: URL;
  try {
    url = new URL(requestUrl ?? '/', 'ws://localhost');
  } catch {
    return { status: 400, error: 'malformed request URL' };
  }
  const path = url.pathname;
  if (path === '/') return { camera: null };
  const m = path.match(/^\/cameras\/([^/]+)\/?$/);
  if (!m) return { status: 404, error: 'unknown path: use / for all cameras or /cameras/<id>' };
  let camera: string;
  try {
    camera = decodeURIComponent(m[1]);
  } catch {
    return { status: 400, error: 'malformed percent-encoding in the camera id' };
  }
  // ?preview=<fps>: the web viewer also wants pictures, at most that many per second.
  const preview = url.searchParams.get('preview');
  if (preview === null) return { camera };
  const fps = Number(preview);
  return Number.isFinite(fps) && fps > 0 ? { camera, previewFps: fps } : { status: 400, error: 'preview must be a positive number of pictures per second' };
}

/**
 * WebSocket endpoint on the process's {@link HttpEdge}: every client gets the JSON messages of
 * all cameras (`ws://host:port/`) or of one camera (`ws://host:port/cameras/<id>`), one message
 * per WebSocket text frame, under the rule of {@link deliveryFor}. A request with a bad path is
 * answered with HTTP 400/404 before any handshake.
 */
export class TrackWebSocketServer implements TrackPublisher {
  readonly name = 'websocket';
  private readonly sent = { messages: 0, skippedSnapshots: 0 };
  private readonly filters = new Map<WebSocket, string | null>();
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_CLIENT_PAYLOAD_BYTES });
  private closing: Promise<void> | null = null;
  /** Where viewer sockets (`/cameras/<id>?preview=<fps>`) are registered for pictures; none = pictures off. */
  previews: PreviewHub | null = null;

  /**
   * Starts the process's HTTP edge on host:port and serves WebSocket upgrades on it; the server
   * owns the edge (other endpoints add routes to `edge`) and closes it last.
   * @throws Error (e.g. EADDRINUSE) naming the address when the port cannot be bound
   */
  static async start(host: string, port: number, maxBufferedBytes: number, access: ReaderAccess = { token: null, allowedOrigins: [] }): Promise<TrackWebSocketServer> {
    return new TrackWebSocketServer(await HttpEdge.listen(host, port, access), maxBufferedBytes);
  }

  private constructor(readonly edge: HttpEdge, private readonly maxBufferedBytes: number) {
    edge.onUpgrade((request, socket, head) => {
      const filter = cameraFilterOf(request.url);
      if ('error' in filter) { rejectUpgrade(socket, filter.status, filter.error); return; }
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        this.accept(ws, filter.camera);
        if (filter.previewFps !== undefined && filter.camera !== null) this.previews?.add(ws, filter.camera, filter.previewFps);
      });
    });
  }

  /** ws:// URL clients connect to. */
  get url(): string { return `ws://${this.edge.authority}/`; }

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

  /** Closes every client (1001), the endpoint, then the HTTP edge. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const socket of this.filters.keys()) socket.close(1001, 'edgevis stopping');
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      for (const socket of this.wss.clients) socket.terminate();
      await this.edge.close();
    })();
    return this.closing;
  }

  private accept(socket: WebSocket, camera: string | null): void {
    this.filters.set(socket, camera);
    socket.on('close', () => this.filters.delete(socket));
    socket.on('error', () => { this.filters.delete(socket); socket.terminate(); });
  }
}
