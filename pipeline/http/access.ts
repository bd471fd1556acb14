import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Whether `presented` equals `expected`, in time independent of where they differ (hashes of equal length are compared). */
export function tokenMatches(presented: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** The bearer token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(request: Pick<IncomingMessage, 'headers'>): string | null {
  return request.headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? null;
}

/** Whether a listen address only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Who may read from the HTTP edge (WebSocket, viewer data, metrics). */
export interface ReaderAccess {
  /** The token readers present (header `Authorization: Bearer`, or `?token=` for browsers); null = open. */
  readonly token: string | null;
  /** Browser origins allowed besides the server's own (same host:port); a request without Origin is no browser. */
  readonly allowedOrigins: readonly string[];
}

/**
 * Checks a request against the reader access rules before anything is served or upgraded.
 * @returns null when allowed, else the HTTP status (401 no or wrong token, 403 foreign browser origin) and why
 */
export function readerAccessProblem(
  request: Pick<IncomingMessage, 'headers' | 'url'>,
  access: ReaderAccess,
): { status: 401 | 403; error: string } | null {
  const origin = request.headers.origin;
  if (origin !== undefined) {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      /* a malformed origin is foreign */
    }
    if (host !== request.headers.host && !access.allowedOrigins.includes(origin)) {
      return { status: 403, error: `origin ${origin} is not allowed; add it to publish.websocket.allowedOrigins` };
    }
  }
  if (access.token === null) return null;
  let presented = bearerToken(request);
  if (presented === null) {
    try {
      presented = new URL(request.url ?? '/', 'http://localhost').searchParams.get('token');
    } catch {
      presented = null;
    }
  }
  return presented !== null && tokenMatches(presented, access.token)
    ? null
    : {
        status: 401,
        error:
          'missing or wrong token: send "Authorization: Bearer <token>" or ?token=<token> (EDGEVIS_TOKEN or publish.websocket.tokenFile)',
      };
}
