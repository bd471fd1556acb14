import type { PublishConfig } from '../../config/schema.js';
import type { TrackPublisher } from '../../operators/publish-tracks.js';
import { MqttTrackPublisher } from './mqtt-publisher.js';
import { readFileSync } from 'node:fs';
import type { Logger } from '../process/logger.js';
import { isLoopback } from '../http/access.js';
import { readSecret } from './secrets.js';
import type { HttpEdge } from '../http/http-edge.js';
import { TrackWebSocketServer } from './websocket-server.js';

/** The publishers of a process, in start order, and where subscribers reach them. */
export interface Publishers {
  /** In start order; close in reverse ({@link closePublishers}). */
  readonly all: readonly TrackPublisher[];
  readonly websocketUrl: string | null;
  /** The HTTP server the WebSocket endpoint runs on (for more routes: the camera API), owned and closed by it. */
  readonly httpEdge: HttpEdge | null;
  /** The WebSocket endpoint, when enabled. */
  readonly websocket: TrackWebSocketServer | null;
  readonly mqttUrl: string | null;
  /** Whether the MQTT publisher runs the embedded broker. */
  readonly embeddedBroker: boolean;
}

/**
 * Starts the configured publishers after `extra` (e.g. the replay's event log): the WebSocket
 * server, then MQTT (with the embedded broker when no URL is configured; an external broker that
 * is down is retried, not an error). When one fails, the ones already started are closed before
 * the error is thrown.
 * @throws Error naming the address when a server cannot listen or the embedded broker does not answer
 */
export async function startPublishers(
  publish: PublishConfig,
  extra: readonly TrackPublisher[] = [],
  log?: Logger,
  nodeId = 'edgevis',
): Promise<Publishers> {
  const all: TrackPublisher[] = [...extra];
  let httpEdge: HttpEdge | null = null;
  let websocket: TrackWebSocketServer | null = null;
  let websocketUrl: string | null = null,
    mqttUrl: string | null = null,
    embeddedBroker = false;
  try {
    if (publish.websocket.enabled) {
      const w = publish.websocket;
      const token = readSecret('EDGEVIS_TOKEN', w.tokenFile, 'publish.websocket.tokenFile');
      if (token === null && !isLoopback(w.host) && !w.allowAnonymous) {
        throw new Error(
          `refusing to serve WebSocket, viewer and metrics on ${w.host} without a token: anyone who can reach the port could read every camera. Set EDGEVIS_TOKEN (or publish.websocket.tokenFile), or set publish.websocket.allowAnonymous: true.`,
        );
      }
      const tls = pemPair(w.certFile, w.keyFile, 'publish.websocket');
      const ws = await TrackWebSocketServer.start(
        w.host,
        w.port,
        w.maxBufferedBytes,
        { token, allowedOrigins: w.allowedOrigins },
        w.maxClients,
        tls,
      );
      all.push(ws);
      websocketUrl = ws.url;
      httpEdge = ws.edge;
      websocket = ws;
    }
    if (publish.mqtt.enabled) {
      const m = publish.mqtt;
      const password = m.username
        ? readSecret('EDGEVIS_MQTT_PASSWORD', m.passwordFile, 'publish.mqtt.passwordFile')
        : null;
      if (m.username && password === null)
        throw new Error(
          `publish.mqtt.username '${m.username}' needs a password: set EDGEVIS_MQTT_PASSWORD or publish.mqtt.passwordFile`,
        );
      if (!m.url && !m.username && !isLoopback(m.brokerHost) && !m.allowAnonymous) {
        throw new Error(
          `refusing to run the embedded MQTT broker on ${m.brokerHost} without credentials: anyone who can reach it could read every camera. Set publish.mqtt.username and EDGEVIS_MQTT_PASSWORD (or passwordFile), or set publish.mqtt.allowAnonymous: true.`,
        );
      }
      let ca: Buffer | undefined;
      try {
        ca = m.caFile ? readFileSync(m.caFile) : undefined;
      } catch (err) {
        throw new Error(`publish.mqtt.caFile ${m.caFile} cannot be read (${(err as NodeJS.ErrnoException).code})`);
      }
      const brokerTls = pemPair(m.brokerCertFile, m.brokerKeyFile, 'publish.mqtt (brokerCertFile/brokerKeyFile)');
      const mqtt = await MqttTrackPublisher.start(
        {
          ...m,
          nodeId,
          brokerTls,
          credentials: m.username && password ? { username: m.username, password } : null,
          ca,
        },
        log,
      );
      all.push(mqtt);
      mqttUrl = mqtt.url;
      embeddedBroker = mqtt.embeddedBroker;
    }
  } catch (err) {
    await closePublishers(all);
    throw err;
  }
  return { all, websocketUrl, httpEdge, websocket, mqttUrl, embeddedBroker };
}

/**
 * A TLS certificate and key read from PEM files, or undefined when neither is set.
 * @throws Error naming the setting when only one is set or a file cannot be read
 */
function pemPair(
  certFile: string | undefined,
  keyFile: string | undefined,
  setting: string,
): { cert: Buffer; key: Buffer } | undefined {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new Error(`${setting}: TLS needs both a certificate and a key file`);
  try {
    return { cert: readFileSync(certFile), key: readFileSync(keyFile) };
  } catch (err) {
    throw new Error(
      `${setting}: TLS file ${(err as NodeJS.ErrnoException).path ?? ''} cannot be read (${(err as NodeJS.ErrnoException).code})`,
    );
  }
}

/** Closes publishers in reverse start order; one that fails is reported to `onError` and does not stop the rest. */
export async function closePublishers(
  publishers: readonly TrackPublisher[],
  onError: (err: Error, publisher: TrackPublisher) => void = () => undefined,
): Promise<void> {
  for (const p of [...publishers].reverse()) await p.close().catch((err: Error) => onError(err, p));
}
