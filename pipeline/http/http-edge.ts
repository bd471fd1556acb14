import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { readerAccessProblem, type ReaderAccess } from './access.js';

/** Paths served without the reader token: liveness/readiness probes and the viewer page (its data comes with the token). */
const PUBLIC_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/', '/index.html']);

/** Handles an HTTP request when it is its route; returns false to let the next route try. */
export type HttpRoute = (request: IncomingMessage, response: ServerResponse, url: URL) => boolean | Promise<boolean>;
/** Handles a WebSocket upgrade request (validation first, then the handshake or an HTTP error). */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * The one HTTP server of a process (so one port serves the WebSocket endpoint, the camera API
 * and, later, metrics and the viewer): routes are tried in the order they were added, and a
 * request no route takes gets 404 with the list of endpoints. A route that throws answers 500;
 * nothing a client sends can take the process down. Reader access (token, browser origin) is
 * checked before any route or WebSocket handshake ({@link readerAccessProblem}).
 */
export class HttpEdge {
  private readonly routes: HttpRoute[] = [];
  private upgrade: UpgradeHandler | null = null;
  private closing: Promise<void> | null = null;

  private constructor(
    private readonly server: Server,
    private readonly access: ReaderAccess,
    readonly secure: boolean,
  ) {
    server.on('request', (request, response) => void this.dispatch(request, response));
    server.on('upgrade', (request, socket, head) => {
      socket.on('error', () => socket.destroy()); // a client that vanishes mid-handshake
      const denied = readerAccessProblem(request, this.access);
      if (denied) {
        rejectUpgrade(socket, denied.status, denied.error);
        return;
      }
      if (this.upgrade) this.upgrade(request, socket, head);
      else rejectUpgrade(socket, 404, 'no WebSocket endpoint here');
    });
    server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      else socket.destroy();
    });
  }

  /**
   * Listens on host:port (port 0 = a free one), over TLS (https, wss) when `tls` is given.
   * @throws Error (e.g. EADDRINUSE) naming the address and the setting to change
   */
  static async listen(
    host: string,
    port: number,
    access: ReaderAccess = { token: null, allowedOrigins: [] },
    tls?: { cert: Buffer; key: Buffer },
  ): Promise<HttpEdge> {
    const server: Server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }) : createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', (err) =>
        reject(
          new Error(
            `HTTP/WebSocket server cannot listen on ${host}:${port}: ${err.message}. Pick another port with --ws-port or publish.websocket.port.`,
          ),
        ),
      );
      server.listen(port, host);
    });
    return new HttpEdge(server, access, tls !== undefined);
  }

  /** host:port as a URL authority (IPv6 in brackets). */
  get authority(): string {
    const a = this.server.address() as AddressInfo;
    return `${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /** Adds a route, tried after the ones added before it. */
  route(route: HttpRoute): void {
    this.routes.push(route);
  }

  /** Sets the handler of WebSocket upgrade requests (one per server). */
  onUpgrade(handler: UpgradeHandler): void {
    this.upgrade = handler;
  }

  /** Stops accepting, closes idle keep-alive connections and waits for the server to close. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private async dispatch(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = requestUrlOf(request.url);
      if (!url) {
        sendJson(
          response,
          400,
          {
            error:
              'malformed request target: send a path that starts with a single "/" (origin form, e.g. GET /metrics)',
          },
          { connection: 'close' },
        );
        return;
      }
      // Only the camera API takes other methods than GET and HEAD; a body sent anywhere else is not read.
      if (!url.pathname.startsWith('/api/') && request.method !== 'GET' && request.method !== 'HEAD') {
        sendJson(
          response,
          405,
          { error: `${request.method} is not served on ${url.pathname}; use GET` },
          { allow: 'GET, HEAD', connection: 'close' },
        );
        return;
      }
      // Readers need the token except for probes, the viewer page itself (it holds no data) and the camera API (its own admin token).
      const open = PUBLIC_PATHS.has(url.pathname) || url.pathname.startsWith('/api/');
      const denied = open ? null : readerAccessProblem(request, this.access);
      if (denied) {
        sendJson(
          response,
          denied.status,
          { error: denied.error },
          denied.status === 401 ? { 'www-authenticate': 'Bearer realm="edgevis"' } : {},
        );
        return;
      }
      for (const route of this.routes) if (await route(request, response, url)) return;
      sendJson(response, 404, {
        error: `no such endpoint: ${request.method} ${url.pathname}`,
        endpoints: [
          'GET / (viewer; WebSocket upgrade: all cameras)',
          'GET /metrics',
          'GET /healthz',
          'GET /readyz',
          'GET /cameras/<id> (WebSocket upgrade)',
          'GET /media/<camera>/ (recordings, snapshots)',
          'GET|POST /api/cameras',
          'DELETE /api/cameras/<id>',
          'POST /api/cameras/<id>/restart',
        ],
      });
    } catch (err) {
      if (!response.headersSent) sendJson(response, 500, { error: `internal error: ${(err as Error).message}` });
      else response.destroy();
    }
  }
}

/**
 * The URL of a request target in origin form (`/path?query`), or null for anything else: an
 * empty target, `//…` (which URL parsing would take for a host), an absolute-form URL
 * (`http://host/…`, meant for proxies) or `*`. Only the path and query are kept.
 */
export function requestUrlOf(target: string | undefined): URL | null {
  if (target?.[0] !== '/' || target.startsWith('//')) return null;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return null;
  }
}

/** Writes a JSON body with its status code. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Answers an upgrade request with an HTTP error (before any handshake) and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
