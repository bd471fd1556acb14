import { readFileSync } from 'node:fs';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { FleetConfig } from '../../config/schema.js';
import type { Logger } from '../process/logger.js';
import { readSecret } from '../publishers/secrets.js';
import { fleetNames, type FleetNames } from './fleet-names.js';

/** Why a node could not join its fleet; the message names the setting to fix. */
export class FleetEngineError extends Error {
  override readonly name = 'FleetEngineError';
}

/** Whether the node reaches the engine now, for `/readyz` and metrics. */
export type EngineState = 'connected' | 'reconnecting' | 'closed';

/**
 * A node's connection to the fleet's engine (a NATS JetStream cluster) and the parts it uses:
 * the camera list, the leases and the node presences (KV buckets), and the message stream.
 * The client reconnects forever (it learns the other servers of the cluster); `state` says
 * whether it is connected now.
 */
export class FleetEngine {
  state: EngineState = 'connected';
  /** performance.now() of the last change of `state`, ms. */
  stateSince = performance.now();

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly names: FleetNames,
    readonly cameras: KV,
    readonly leases: KV,
    readonly nodes: KV,
    private readonly log: Logger,
  ) {
    void (async () => {
      for await (const s of nc.status()) {
        const next: EngineState | null =
          s.type === 'disconnect' || s.type === 'reconnecting'
            ? 'reconnecting'
            : s.type === 'reconnect'
              ? 'connected'
              : s.type === 'close'
                ? 'closed'
                : null;
        if (next && next !== this.state) {
          this.state = next;
          this.stateSince = performance.now();
          if (next === 'reconnecting') log.warn({ server: nc.getServer() }, 'fleet engine unreachable; reconnecting');
          if (next === 'connected') log.info({ server: nc.getServer() }, 'fleet engine reachable again');
        }
      }
    })();
  }

  /**
   * Connects to `fleet.servers` and makes sure the buckets and the stream exist (created with
   * `fleet.replicas` copies when missing; existing ones are used as they are). A cluster still
   * electing its JetStream leader is waited for, up to `fleet.connectTimeoutMs`.
   * @throws FleetEngineError naming the cause and the setting: servers unreachable, credentials refused, JetStream
   *   not enabled, more replicas than servers, a credentials file that cannot be read
   */
  static async connect(fleet: FleetConfig, nodeId: string, log: Logger, env = process.env): Promise<FleetEngine> {
    const names = fleetNames(fleet.name);
    const until = performance.now() + fleet.connectTimeoutMs;
    const servers = fleet.servers.join(', ');
    let nc: NatsConnection | null = null;
    let last = '';
    while (!nc) {
      try {
        nc = await connect({
          servers: fleet.servers,
          name: `edgevis ${nodeId}`,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 250,
          reconnectJitter: 100,
          pingInterval: 2000,
          maxPingOut: 2,
          timeout: Math.min(5000, fleet.connectTimeoutMs),
          ...credentialsOf(fleet, env),
        });
      } catch (err) {
        last = (err as Error).message;
        if (/authori[sz]ation|authentication/i.test(last))
          throw new FleetEngineError(
            `the fleet's NATS servers (${servers}) refused this node's credentials (${last}): check fleet.user with EDGEVIS_NATS_PASSWORD or fleet.passwordFile, fleet.tokenFile / EDGEVIS_NATS_TOKEN, or fleet.credsFile`,
          );
        if (performance.now() > until)
          throw new FleetEngineError(
            `cannot reach the fleet's NATS servers ${servers} within ${fleet.connectTimeoutMs} ms (${last}): check fleet.servers and that nats-server runs there`,
          );
        await sleep(250);
      }
    }
    try {
      const jsm = await retryWhileElecting(() => jetstreamManager(nc, { timeout: 2000 }), until, servers);
      const kvm = new Kvm(nc);
      const parts = async (replicas: number) => {
        const bucket = (name: string, ttl?: number) =>
          retryWhileElecting(
            () => kvm.create(name, { replicas, history: 1, ...(ttl ? { ttl } : {}) }),
            until,
            servers,
            replicas,
          );
        const cameras = await bucket(names.cameras);
        const leases = await bucket(names.leases);
        const nodes = await bucket(names.nodes, 3600_000);
        await retryWhileElecting(() => ensureStream(jsm, fleet, names, replicas), until, servers, replicas);
        return { cameras, leases, nodes };
      };
      let kv: Awaited<ReturnType<typeof parts>>;
      try {
        kv = await parts(fleet.replicas ?? 3);
      } catch (err) {
        if (fleet.replicas !== undefined || !(err instanceof FleetEngineError) || !/copies/.test(err.message))
          throw err;
        log.warn(
          { servers: fleet.servers },
          'the fleet engine is a single JetStream server: keeping 1 copy of the cameras, leases and messages (set fleet.replicas to say so; 3 servers survive one lost)',
        );
        kv = await parts(1);
      }
      const { cameras, leases, nodes } = kv;
      log.info({ servers: fleet.servers, fleet: fleet.name, server: nc.getServer() }, 'joined the fleet');
      return new FleetEngine(nc, jetstream(nc, { timeout: 5000 }), jsm, names, cameras, leases, nodes, log);
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err;
    }
  }

  /** Drains nothing: closes the connection (pending publishes fail). Idempotent. */
  async close(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.close().catch((err: Error) => this.log.debug({ err: err.message }, 'closing the fleet connection'));
  }
}

/** The connection options of the credentials the config names (none = anonymous). */
function credentialsOf(fleet: FleetConfig, env: NodeJS.ProcessEnv) {
  const token = readSecret('EDGEVIS_NATS_TOKEN', fleet.tokenFile, 'fleet.tokenFile', env);
  if (token) return { token };
  if (fleet.user) {
    const pass = readSecret('EDGEVIS_NATS_PASSWORD', fleet.passwordFile, 'fleet.passwordFile', env);
    if (pass === null)
      throw new FleetEngineError(
        `fleet.user '${fleet.user}' needs a password: set EDGEVIS_NATS_PASSWORD or fleet.passwordFile`,
      );
    return { user: fleet.user, pass };
  }
  if (fleet.credsFile) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(fleet.credsFile);
    } catch (err) {
      throw new FleetEngineError(
        `fleet.credsFile ${fleet.credsFile} cannot be read (${(err as NodeJS.ErrnoException).code})`,
      );
    }
    return { authenticator: credsAuthenticator(creds) };
  }
  return {};
}

/**
 * Creates the two message streams, or uses them when they exist: events, states and gaps kept
 * long (the history `?since=` resumes from), snapshots kept briefly (each is superseded by the next,
 * and with masks they are most of the bytes: one stream would let them push the events out).
 */
async function ensureStream(
  jsm: JetStreamManager,
  fleet: FleetConfig,
  names: FleetNames,
  replicas: number,
): Promise<void> {
  const common = {
    num_replicas: replicas,
    max_bytes: fleet.streamMaxBytes,
    // A publish is retried (same message id) for as long as the engine is away: the window must cover it.
    duplicate_window: 600e9,
  };
  const streams = [
    {
      ...common,
      name: names.eventsStream,
      subjects: [names.allEvents],
      max_age: Math.round(fleet.streamMaxAgeHours * 3600e9),
    },
    {
      ...common,
      name: names.tracksStream,
      subjects: [names.allTracks],
      max_age: Math.round(fleet.snapshotHistoryMinutes * 60e9),
      duplicate_window: Math.min(600e9, Math.round(fleet.snapshotHistoryMinutes * 60e9)),
    },
  ];
  for (const config of streams) {
    try {
      await jsm.streams.info(config.name);
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
      await jsm.streams.add(config as Parameters<JetStreamManager['streams']['add']>[0]);
    }
  }
}

/**
 * Runs `step` until it succeeds or `until` passes, retrying while the cluster elects its JetStream
 * leaders (timeouts, "temporarily unavailable"); gives the clear error for what no wait fixes.
 */
async function retryWhileElecting<T>(
  step: () => Promise<T>,
  until: number,
  servers: string,
  replicas?: number,
): Promise<T> {
  for (;;) {
    try {
      return await step();
    } catch (err) {
      const message = (err as Error).message;
      if (/jetstream not enabled|jetstream is not enabled|503/i.test(message))
        throw new FleetEngineError(
          `JetStream is not enabled on the fleet's NATS servers (${servers}): start nats-server with -js, or a jetstream { store_dir: ... } block in its config`,
        );
      if (/insufficient storage/i.test(message))
        throw new FleetEngineError(
          `the fleet's JetStream has no room for the message stream (${message}): lower fleet.streamMaxBytes (bytes per copy, reserved up front) or raise max_file_store in the servers' jetstream block`,
        );
      if (/insufficient resources|replicas > 1 not supported|no suitable peers/i.test(message))
        throw new FleetEngineError(
          `the fleet's cluster cannot hold ${replicas} copies (${message}): set fleet.replicas to at most the number of JetStream servers (1 for a single server)`,
        );
      if (performance.now() > until)
        throw new FleetEngineError(
          `the fleet's JetStream (${servers}) did not answer in time (${message}): is a JetStream leader elected (most servers of the cluster up)?`,
        );
      await sleep(250);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
