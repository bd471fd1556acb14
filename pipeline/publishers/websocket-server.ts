import { WebSocket, WebSocketServer } from 'ws';
import type { TrackPublisher } from '../../operators/publish-tracks.js';
import type { ReaderAccess } from '../http/access.js';
import { HttpEdge, rejectUpgrade } from '../http/http-edge.js';
import type { PreviewHub } from '../http/viewer/preview-hub.js';
import { MESSAGE_SCHEMA_VERSION, withoutMasks, type TrackMessage } from '../../operators/wire/track-messages.js';
import type { GapMessage } from '../../operators/wire/message-schema.js';
import type { SequenceFence } from '../../operators/wire/sequence-fence.js';

/** What the delivery rule needs of a connected socket. */
export interface SubscriberSocket {
  readonly readyState: number;
  /** Bytes queued on the socket and not yet sent, bytes. */
  readonly bufferedAmount: number;
}

/** The kinds of messages a subscriber can choose. */
export type MessageKind = 'tracks' | 'events' | 'status';
const KINDS: readonly MessageKind[] = ['tracks', 'events', 'status'];
const kindOf = (m: TrackMessage): MessageKind =>
  m.type === 'tracks' ? 'tracks' : m.type === 'camera_status' ? 'status' : 'events';

/** What one WebSocket subscriber asked for in its URL. */
export interface Subscription {
  /** One camera (`/cameras/<id>`), or null for all (`/`). */
  readonly camera: string | null;
  /** `?types=tracks,events,status`: the kinds it gets (default all). */
  readonly kinds: ReadonlySet<MessageKind>;
  /** `?masks=0`: snapshots without masks (smaller). */
  readonly masks: boolean;
  /** `?maxFps=<n>`: at most n snapshots per second (newest wins); undefined = every one. */
  readonly maxSnapshotFps?: number;
  /** `?since=<seq>` (one camera): resume: first the buffered events and states after this sequence number. */
  readonly since?: number;
  /** `?preview=<fps>` (one camera): the web viewer also wants pictures, at most that many per second. */
  readonly previewFps?: number;
}

/**
 * The per-client delivery rule: a client gets the messages of the cameras and kinds it subscribed
 * to; snapshots are skipped while its send buffer holds more than `maxBufferedBytes` (a slow
 * consumer never grows memory without bound, and a newer snapshot supersedes the skipped one) or
 * when they come faster than its `maxSnapshotFps`; lifecycle events and states are always sent.
 * @param lastSnapshotAt when this client last got a snapshot (performance.now(), ms)
 * @returns 'send', 'skip-slow' (a snapshot held back for a slow client), 'skip-rate' or 'ignore' (closed, another camera or kind)
 */
export function deliveryFor(
  message: TrackMessage,
  subscription: Pick<Subscription, 'camera'> & Partial<Subscription>,
  socket: SubscriberSocket,
  maxBufferedBytes: number,
  lastSnapshotAt = -Infinity,
  now = performance.now(),
): 'send' | 'skip-slow' | 'skip-rate' | 'ignore' {
  const { camera } = subscription;
  if (socket.readyState !== WebSocket.OPEN || (camera !== null && camera !== message.camera)) return 'ignore';
  if (subscription.kinds && !subscription.kinds.has(kindOf(message))) return 'ignore';
  if (message.type !== 'tracks') return 'send';
  if (socket.bufferedAmount > maxBufferedBytes) return 'skip-slow';
  if (subscription.maxSnapshotFps && now - lastSnapshotAt < 1000 / subscription.maxSnapshotFps) return 'skip-rate';
  return 'send';
}

/** Largest message a subscriber may send, bytes: subscribers only listen (a bigger frame closes the socket with 1009). */
const MAX_CLIENT_PAYLOAD_BYTES = 64 * 1024;
/** Events and states kept per camera for resuming subscribers. */
const RESUME_BUFFER = 1000;

/**
 * What a WebSocket request asks for: `/` = all cameras, `/cameras/<id>` = one (percent-decoded),
 * with the options of {@link Subscription}; an HTTP status and why for anything else, decided
 * before the handshake.
 */
export function subscriptionOf(requestUrl: string | undefined): Subscription | { status: 400 | 404; error: string } {
  let url: URL;
  try {
    url = new URL(requestUrl ?? '/', 'ws://localhost');
  } catch {
    return { status: 400, error: 'malformed request URL' };
  }
  const path = url.pathname;
  let camera: string | null = null;
  if (path !== '/') {
    const m = path.match(/^\/cameras\/([^/]+)\/?$/);
    if (!m) return { status: 404, error: 'unknown path: use / for all cameras or /cameras/<id>' };
    try {
      camera = decodeURIComponent(m[1]);
    } catch {
      return { status: 400, error: 'malformed percent-encoding in the camera id' };
    }
  }
  const q = url.searchParams;
  const positive = (name: string): number | undefined | null => {
    const v = q.get(name);
    if (v === null) return undefined;
    const n = Number(v);
    return Number.isFinite(n) && n > 0 ? n : null;
  };
  const types = q
    .get('types')
    ?.split(',')
    .map((x) => x.trim())
    .filter(Boolean) ?? [...KINDS];
  const unknown = types.filter((x) => !KINDS.includes(x as MessageKind));
  if (unknown.length)
    return { status: 400, error: `unknown message types ${unknown.join(', ')}: use types=${KINDS.join(',')}` };
  const previewFps = positive('preview'),
    maxSnapshotFps = positive('maxFps');
  if (previewFps === null) return { status: 400, error: 'preview must be a positive number of pictures per second' };
  if (maxSnapshotFps === null)
    return { status: 400, error: 'maxFps must be a positive number of snapshots per second' };
  const sinceText = q.get('since');
  const since = sinceText === null ? undefined : Number(sinceText);
  if (since !== undefined && !(Number.isInteger(since) && since >= 0))
    return { status: 400, error: 'since must be the last sequence number received (an integer ≥ 0)' };
  if (camera === null && (since !== undefined || previewFps !== undefined))
    return { status: 400, error: 'since and preview need one camera: /cameras/<id>' };
  return {
    camera,
    kinds: new Set(types as MessageKind[]),
    masks: q.get('masks') !== '0',
    ...(maxSnapshotFps !== undefined ? { maxSnapshotFps } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(previewFps !== undefined ? { previewFps } : {}),
  };
}

/**
 * WebSocket endpoint on the process's {@link HttpEdge}: every client gets the JSON messages of
 * all cameras (`ws://host:port/`) or of one camera (`ws://host:port/cameras/<id>`), one message
 * per WebSocket text frame, chosen by its {@link Subscription} under the rule of
 * {@link deliveryFor}. A request with a bad path, an unknown camera or bad options is answered
 * with HTTP 400/404 (503 when `maxClients` are connected) before any handshake.
 *
 * A new client first gets the current `camera_status` of every camera it subscribed to (unless it
 * left out `status`), so it knows at once whether a camera streams, reconnects or failed, even
 * when no message of that camera would come for a while.
 *
 * Resume: the last {@link RESUME_BUFFER} events and states of each camera are kept; a client that
 * reconnects with `?since=<last seq it saw>` first gets those after it, or a `gap` message naming
 * the sequence numbers it can no longer get: evicted ones (`restarted: false`), or, when its
 * `since` comes from an earlier run of edgevis (before this run's epoch × 1000, or above anything
 * this run numbered), everything before this run (`restarted: true`). Snapshots are never
 * replayed (the next one supersedes them).
 */
export class TrackWebSocketServer implements TrackPublisher {
  readonly name = 'websocket';
  private readonly sent = { messages: 0, skippedSnapshots: 0 };
  private readonly clients = new Map<WebSocket, { subscription: Subscription; lastSnapshotAt: number }>();
  /** Per camera: the events and states kept for resuming (after `evictedUpTo`), the run's first number and the latest state. */
  private readonly history = new Map<
    string,
    {
      buffered: { seq: number; json: string }[];
      evictedUpTo: number;
      epoch: number;
      runStart: number;
      status: { seq: number; json: string } | null;
    }
  >();
  private readonly wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: MAX_CLIENT_PAYLOAD_BYTES,
  });
  private closing: Promise<void> | null = null;
  /** Where viewer sockets (`/cameras/<id>?preview=<fps>`) are registered for pictures; none = pictures off. */
  previews: PreviewHub | null = null;
  /** Whether a camera id exists (set by the runtime); unknown cameras are refused with 404. */
  cameraExists: (id: string) => boolean = () => true;
  /**
   * In a fleet, messages arrive twice (this node's own, then again from the stream) and a stale
   * owner's may arrive late: the fence lets each through once, in order. Null on one machine.
   */
  fence: SequenceFence | null = null;

  /**
   * Starts the process's HTTP edge on host:port and serves WebSocket upgrades on it; the server
   * owns the edge (other endpoints add routes to `edge`) and closes it last.
   * @throws Error (e.g. EADDRINUSE) naming the address when the port cannot be bound
   */
  static async start(
    host: string,
    port: number,
    maxBufferedBytes: number,
    access: ReaderAccess = { token: null, allowedOrigins: [] },
    maxClients = 256,
    tls?: { cert: Buffer; key: Buffer },
  ): Promise<TrackWebSocketServer> {
    return new TrackWebSocketServer(await HttpEdge.listen(host, port, access, tls), maxBufferedBytes, maxClients);
  }

  private constructor(
    readonly edge: HttpEdge,
    private readonly maxBufferedBytes: number,
    private readonly maxClients: number,
  ) {
    edge.onUpgrade((request, socket, head) => {
      const subscription = subscriptionOf(request.url);
      if ('error' in subscription) {
        rejectUpgrade(socket, subscription.status, subscription.error);
        return;
      }
      if (subscription.camera !== null && !this.cameraExists(subscription.camera)) {
        rejectUpgrade(socket, 404, `no camera '${subscription.camera}'`);
        return;
      }
      if (this.clients.size >= this.maxClients) {
        rejectUpgrade(socket, 503, `too many subscribers (${this.maxClients}); try again later`);
        return;
      }
      this.wss.handleUpgrade(request, socket, head, (ws) => {
        this.accept(ws, subscription);
        if (subscription.previewFps !== undefined && subscription.camera !== null)
          this.previews?.add(ws, subscription.camera, subscription.previewFps);
      });
    });
  }

  /** ws:// URL clients connect to. */
  get url(): string {
    return `${this.edge.secure ? 'wss' : 'ws'}://${this.edge.authority}/`;
  }

  /** Messages sent (per client) and snapshots skipped for slow clients. */
  get counters(): Readonly<Record<string, number>> {
    return { ...this.sent, clients: this.clients.size };
  }

  publish(message: TrackMessage, json: string): void {
    if (this.fence && !this.fence.admit(message.camera, message.type === 'tracks' ? 'tracks' : 'events', message.seq))
      return;
    if (message.type !== 'tracks') this.remember(message, json);
    let maskless: string | null = null;
    const now = performance.now();
    for (const [socket, client] of this.clients) {
      const delivery = deliveryFor(
        message,
        client.subscription,
        socket,
        this.maxBufferedBytes,
        client.lastSnapshotAt,
        now,
      );
      if (delivery === 'skip-slow') this.sent.skippedSnapshots++;
      if (delivery !== 'send') continue;
      if (message.type === 'tracks') {
        client.lastSnapshotAt = now;
        if (!client.subscription.masks) {
          maskless ??= JSON.stringify(withoutMasks(message));
          socket.send(maskless);
          this.sent.messages++;
          continue;
        }
      }
      socket.send(json);
      this.sent.messages++;
    }
  }

  /**
   * A fleet's `gap` (failover, dropped messages) to every client of the camera that takes events.
   * It is kept for resuming at its `toSeq` (the last number it covers), so a client resuming from
   * before it gets it between the messages it separates.
   */
  publishGap(gap: GapMessage, json: string): void {
    const h = this.history.get(gap.camera);
    if (h) {
      const at = h.buffered.findIndex((m) => m.seq > gap.toSeq);
      h.buffered.splice(at < 0 ? h.buffered.length : at, 0, { seq: gap.toSeq, json });
      if (h.buffered.length > RESUME_BUFFER) h.evictedUpTo = h.buffered.shift()!.seq;
    }
    for (const [socket, client] of this.clients) {
      const { camera, kinds } = client.subscription;
      if (socket.readyState !== WebSocket.OPEN || (camera !== null && camera !== gap.camera) || !kinds.has('events'))
        continue;
      socket.send(json);
      this.sent.messages++;
    }
  }

  /** Closes every client (1001), the endpoint, then the HTTP edge. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const socket of this.clients.keys()) socket.close(1001, 'edgevis stopping');
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      for (const socket of this.wss.clients) socket.terminate();
      await this.edge.close();
    })();
    return this.closing;
  }

  /** The camera left the set: nothing of it is kept for new or resuming clients. */
  forgetCamera(cameraId: string): void {
    this.history.delete(cameraId);
  }

  private remember(message: TrackMessage, json: string): void {
    let h = this.history.get(message.camera);
    // A camera's first message of this run: everything before it belongs to earlier runs (or was never numbered).
    if (!h) {
      h = { buffered: [], evictedUpTo: message.seq - 1, epoch: message.epoch, runStart: message.seq, status: null };
      this.history.set(message.camera, h);
    }
    h.buffered.push({ seq: message.seq, json });
    if (message.type === 'camera_status') h.status = { seq: message.seq, json };
    if (h.buffered.length > RESUME_BUFFER) h.evictedUpTo = h.buffered.shift()!.seq;
  }

  private accept(socket: WebSocket, subscription: Subscription): void {
    this.clients.set(socket, { subscription, lastSnapshotAt: -Infinity });
    socket.on('close', () => this.clients.delete(socket));
    socket.on('error', () => {
      this.clients.delete(socket);
      socket.terminate();
    });
    const wantsStatus = subscription.kinds.has('status');
    if (subscription.since === undefined || subscription.camera === null) {
      // Where each camera stands now, before anything else.
      if (!wantsStatus) return;
      for (const [camera, h] of this.history)
        if (h.status && (subscription.camera === null || subscription.camera === camera)) socket.send(h.status.json);
      return;
    }
    const h = this.history.get(subscription.camera);
    if (!h) return;
    const since = subscription.since;
    const lastSeq = h.buffered.at(-1)?.seq ?? h.evictedUpTo;
    const restarted = since < h.runStart - 1 || since > lastSeq;
    if (restarted || since < h.evictedUpTo) {
      socket.send(
        JSON.stringify({
          schema: MESSAGE_SCHEMA_VERSION,
          type: 'gap',
          camera: subscription.camera,
          epoch: h.epoch,
          fromSeq: restarted ? Math.min(since + 1, h.evictedUpTo) || 1 : since + 1,
          toSeq: Math.max(h.evictedUpTo, 1),
          restarted,
          reason: restarted
            ? `edgevis restarted (this run's epoch is ${h.epoch}): nothing of the run that numbered ${since} is held; what this run holds follows`
            : 'events and states before these are no longer held for resuming',
        }),
      );
    }
    const from = restarted ? h.evictedUpTo : since;
    const replayed = h.buffered.filter((m) => m.seq > from);
    // The current state comes first when the replay does not hold it (evicted, or a client that left out states).
    if (wantsStatus && h.status && !replayed.some((m) => m.seq === h.status!.seq)) socket.send(h.status.json);
    for (const m of replayed) socket.send(m.json);
  }
}
