import { hostname } from 'node:os';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CameraConfig, EdgevisConfig, FleetConfig } from '../../config/schema.js';
import { MESSAGE_SCHEMA_VERSION } from '../../operators/wire/track-messages.js';
import type { GapMessage } from '../../operators/wire/message-schema.js';
import { SEQUENCE_NUMBERS_PER_MS } from '../../operators/wire/message-sequence.js';
import { SequenceFence } from '../../operators/wire/sequence-fence.js';
import { redactSource } from '../../operators/sources/source-error.js';
import { cameraView, type CameraSet, type CameraView } from '../control/camera-api.js';
import type { Logger } from '../process/logger.js';
import type { RemoteCamera } from '../http/viewer/viewer-routes.js';
import { TrackWebSocketServer } from '../publishers/websocket-server.js';
import { CameraSetError, type EdgevisRuntime } from '../runtime.js';
import { assignFreeCameras, shouldHandOver, type NodeLoad } from './camera-assignment.js';
import { CameraCatalog } from './camera-catalog.js';
import { CameraLeases, WriteHealth, type Claim } from './camera-leases.js';
import type { FleetEngine } from './fleet-engine.js';
import { NodePresence } from './node-presence.js';
import type { FleetStreamPublisher } from './stream-publisher.js';
import { FleetStreamView } from './stream-view.js';

/** How often a node looks for cameras to claim, release or restart, ms. */
const RECONCILE_MS = 200;
/** How often a node checks whether it should hand a camera to a less loaded node, and the least time between two moves, ms. */
const REBALANCE_MS = 10_000;
const MIN_MOVE_INTERVAL_MS = 30_000;
/** Events and states read back from the stream at start (what `?since=` can resume from on this node), ms. */
const VIEW_HISTORY_MS = 10 * 60_000;

/** What a fleet node has done, for metrics and reports. */
export interface FleetCounters {
  takeovers: number;
  handOvers: number;
  claimsLost: number;
  leasesLost: number;
  lastLeaseRefreshMs: number;
}

/**
 * One edgevis node of a fleet: follows the site's camera list and the leases, runs the cameras
 * it holds a lease for (through the runtime), refreshes those leases and its presence every
 * heartbeat, claims free cameras assigned to it by measured load ({@link assignFreeCameras}),
 * hands one over now and then when it is clearly busier than another node ({@link shouldHandOver}),
 * and gives all of them up on a clean stop so the others take them at once. Its WebSocket serves
 * every camera of the site through {@link FleetStreamView}.
 */
export class FleetNode {
  readonly counters: FleetCounters = {
    takeovers: 0,
    handOvers: 0,
    claimsLost: 0,
    leasesLost: 0,
    lastLeaseRefreshMs: 0,
  };
  readonly leases: CameraLeases;
  readonly catalog: CameraCatalog;
  readonly presence: NodePresence;
  readonly view: FleetStreamView | null;
  private readonly writes = new WriteHealth();
  private readonly started = new Map<string, number>(); // camera → catalog revision it runs with
  private readonly epochs = new Map<string, number>(); // camera → epoch of the lease it runs under
  private readonly claiming = new Set<string>();
  private readonly freeSince = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  private lastMoveAt = -Infinity;
  private leaving = false;
  private readonly nodeId: string;

  private constructor(
    private readonly engine: FleetEngine,
    private readonly runtime: EdgevisRuntime,
    private readonly stream: FleetStreamPublisher,
    private readonly fleet: FleetConfig,
    nodeId: string,
    baseDir: string,
    private readonly log: Logger,
  ) {
    this.nodeId = nodeId;
    this.leases = new CameraLeases(engine.leases, nodeId, fleet.leaseMs, this.writes, log);
    this.catalog = new CameraCatalog(engine.cameras, log, baseDir);
    this.presence = new NodePresence(engine.nodes, nodeId, fleet.leaseMs, this.writes);
    const websocket = runtime.publishers.find((p) => p instanceof TrackWebSocketServer) as
      | TrackWebSocketServer
      | undefined;
    this.view = websocket ? new FleetStreamView(engine.js, engine.names, websocket, log) : null;
    if (websocket) {
      websocket.fence = new SequenceFence();
      websocket.cameraExists = (id) => this.catalog.entries.has(id) || runtime.cameraConfigs.some((c) => c.id === id);
    }
    this.leases.onLost = (camera, by) => this.lost(camera, by);
    this.leases.onRefreshed = (ms) => {
      this.counters.lastLeaseRefreshMs = ms;
    };
  }

  /**
   * Joins the fleet: reads the camera list (seeding it with `config.cameras`), follows leases and
   * nodes, starts the view, and begins claiming cameras.
   * @param runtime started with no cameras (the fleet gives them) and `epochOf` = {@link epochOf}
   */
  static async start(
    engine: FleetEngine,
    runtime: EdgevisRuntime,
    stream: FleetStreamPublisher,
    config: EdgevisConfig & { fleet: FleetConfig },
    nodeId: string,
    baseDir: string,
    log: Logger,
  ): Promise<FleetNode> {
    const node = new FleetNode(engine, runtime, stream, config.fleet, nodeId, baseDir, log);
    await node.catalog.watch();
    await node.catalog.seed(config.cameras);
    await node.leases.watch();
    await node.presence.watch();
    await node.beat();
    await node.view?.start(VIEW_HISTORY_MS);
    if (runtime.metrics) node.registerMetrics(runtime.metrics.registry);
    node.timers.push(
      setInterval(() => void node.beat(), config.fleet.heartbeatMs),
      setInterval(() => void node.reconcile(), RECONCILE_MS),
      setInterval(() => node.rebalance(), REBALANCE_MS),
    );
    return node;
  }

  /**
   * The node's fleet metrics: cameras owned, live nodes, lease refresh latency, takeovers, hand-overs,
   * leases lost, engine connection, clock skew against the other nodes, invalid camera definitions.
   */
  private registerMetrics(r: Registry): void {
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers: [r],
        collect() {
          this.set(value());
        },
      });
    const counter = (name: string, help: string, value: () => number) =>
      new Counter({
        name,
        help,
        registers: [r],
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    gauge('edgevis_fleet_cameras_owned', 'Cameras this node holds the lease of.', () => this.leases.cameras.length);
    gauge(
      'edgevis_fleet_nodes_live',
      'Nodes of the fleet seen alive within a lease period (this one included).',
      () => this.presence.live().length,
    );
    gauge('edgevis_fleet_engine_connected', 'Whether this node reaches the fleet engine (1) or not (0).', () =>
      Number(this.engine.state === 'connected'),
    );
    gauge(
      'edgevis_fleet_clock_skew_seconds',
      "Largest recent difference between another node's clock (in its lease refreshes) and this node's.",
      () => this.leases.clockSkewMs / 1000,
    );
    gauge(
      'edgevis_fleet_invalid_cameras',
      "Cameras in the fleet's list that fail validation on this node.",
      () => [...this.catalog.entries.values()].filter((e) => e.error !== null).length,
    );
    counter(
      'edgevis_fleet_takeovers_total',
      'Cameras this node took over from a node that stopped answering.',
      () => this.counters.takeovers,
    );
    counter(
      'edgevis_fleet_hand_overs_total',
      'Cameras this node gave up on purpose (rebalancing, clean stop).',
      () => this.counters.handOvers,
    );
    counter(
      'edgevis_fleet_leases_lost_total',
      'Leases this node found taken by another node (it was too slow).',
      () => this.counters.leasesLost,
    );
    const refresh = new Histogram({
      name: 'edgevis_fleet_lease_refresh_seconds',
      help: 'Round trip of one lease refresh (compare-and-set in the engine).',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [r],
    });
    this.leases.onRefreshed = (ms) => {
      this.counters.lastLeaseRefreshMs = ms;
      refresh.observe(ms / 1000);
    };
  }

  /** A camera's lease epoch on this node (the runtime's `epochOf`). */
  epochOf(camera: string): number | undefined {
    return this.leases.epochOf(camera);
  }

  /** The cameras this node runs for the fleet. */
  get owned(): string[] {
    return this.leases.cameras;
  }

  private async beat(): Promise<void> {
    if (this.leaving) return;
    await Promise.all([this.leases.refresh(), this.presence.beat(this.leases.cameras.length, this.httpOrigin())]);
  }

  /** Where other nodes reach this node's HTTP edge (media redirects): a wildcard listen address is replaced by the host name. */
  private httpOrigin(): string | null {
    const edge = this.runtime.httpEdge;
    if (!edge) return null;
    const authority = edge.authority.replace(/^(0\.0\.0\.0|\[::\])(?=:)/, hostname());
    return `${edge.secure ? 'https' : 'http'}://${authority}`;
  }

  /** Makes what runs here match the leases held and the camera list; claims the free cameras assigned here. */
  private async reconcile(): Promise<void> {
    if (this.leaving) return;
    const cameras = this.catalog.cameras;
    for (const id of this.leases.cameras) {
      const entry = this.catalog.entries.get(id);
      if (!entry?.camera) {
        // Removed from the site's list (or made invalid): stop it and give the lease up.
        this.stopCamera(id);
        await this.leases.release(id);
      } else if (this.started.has(id) && this.started.get(id) !== entry.revision) {
        this.started.set(id, entry.revision);
        this.log.info({ camera: id }, 'camera changed in the fleet list; restarting it');
        this.runtime.restartCamera(id, entry.camera);
      }
    }
    const now = performance.now();
    const free = [...cameras.keys()].filter((id) => !this.claiming.has(id) && this.leases.claimable(id, now));
    for (const id of [...this.freeSince.keys()]) if (!free.includes(id)) this.freeSince.delete(id);
    if (free.length === 0) return;
    const nodes: NodeLoad[] = this.presence.live(now).filter((n) => n.node !== this.nodeId);
    nodes.push({ node: this.nodeId, load: this.presence.measureLoad(now), cameras: this.leases.cameras.length });
    const plan = assignFreeCameras(free, nodes);
    for (const id of free) {
      if (!this.freeSince.has(id)) this.freeSince.set(id, now);
      // The node a camera is assigned to may be gone without having been seen to go: after two
      // lease periods free, any node takes it.
      const mine = plan.get(id) === this.nodeId || now - this.freeSince.get(id)! > 2 * this.fleet.leaseMs;
      if (mine) void this.claim(id, cameras.get(id)!);
    }
  }

  private async claim(id: string, camera: CameraConfig): Promise<void> {
    this.claiming.add(id);
    try {
      const claim = await this.leases.claim(id);
      if (!claim) {
        this.counters.claimsLost++;
        return;
      }
      if (this.leaving) {
        await this.leases.release(id);
        return;
      }
      this.freeSince.delete(id);
      this.startCamera(id, camera, claim);
    } finally {
      this.claiming.delete(id);
    }
  }

  private startCamera(id: string, camera: CameraConfig, claim: Claim): void {
    if (this.runtime.cameraConfigs.some((c) => c.id === id)) this.runtime.removeCamera(id);
    const takeover = claim.previous !== null && claim.previous.node !== this.nodeId;
    this.log.info(
      { camera: id, epoch: claim.epoch, from: claim.previous?.node ?? null },
      takeover ? `took camera '${id}' over from node '${claim.previous!.node}'` : `camera '${id}' assigned here`,
    );
    if (takeover) {
      this.counters.takeovers++;
      void this.announceFailover(id, claim);
    }
    this.started.set(id, this.catalog.entries.get(id)?.revision ?? 0);
    this.epochs.set(id, claim.epoch);
    this.runtime.addCamera(camera);
  }

  /** The `gap` a new owner publishes: what the old owner numbered after its last stored message is lost. */
  private async announceFailover(camera: string, claim: Claim): Promise<void> {
    const names = this.engine.names;
    let last = (claim.previous?.epoch ?? 0) * SEQUENCE_NUMBERS_PER_MS;
    for (const [stream, subject] of [
      [names.eventsStream, names.eventsSubject(camera)],
      [names.tracksStream, names.tracksSubject(camera)],
    ]) {
      try {
        const m = await this.engine.jsm.streams.getMessage(stream, { last_by_subj: subject });
        const seq = m ? (m.json<{ seq?: number }>().seq ?? 0) : 0;
        last = Math.max(last, seq);
      } catch {
        /* nothing stored on it */
      }
    }
    const gap: GapMessage = {
      schema: MESSAGE_SCHEMA_VERSION,
      type: 'gap',
      camera,
      epoch: claim.epoch,
      fromSeq: last + 1,
      toSeq: Math.max(last + 1, claim.epoch * SEQUENCE_NUMBERS_PER_MS),
      restarted: false,
      cause: 'failover',
      reason: `node '${claim.previous?.node}' stopped refreshing its lease; node '${this.nodeId}' took the camera over (its open tracks ended unseen; new track ids follow)`,
    };
    this.stream.publishGap(gap);
  }

  private stopCamera(id: string): void {
    this.started.delete(id);
    if (this.runtime.cameraConfigs.some((c) => c.id === id)) this.runtime.removeCamera(id);
  }

  /** A lease this node held is someone else's: stop the camera now and drop what it had not sent. */
  private lost(camera: string, by: string | null): void {
    this.counters.leasesLost++;
    const epoch = this.epochs.get(camera);
    this.log.warn({ camera, by }, `lost camera '${camera}'${by ? ` to node '${by}'` : ''}; stopping it here`);
    this.stopCamera(camera);
    if (epoch !== undefined) this.stream.fence(camera, epoch);
  }

  /** Hands one camera to a less loaded node when this one is clearly busier (hysteresis, one move per {@link MIN_MOVE_INTERVAL_MS}). */
  private rebalance(): void {
    const now = performance.now();
    if (this.leaving || now - this.lastMoveAt < MIN_MOVE_INTERVAL_MS) return;
    const self = { node: this.nodeId, load: this.presence.measureLoad(now), cameras: this.leases.cameras.length };
    const others = this.presence.live(now).filter((n) => n.node !== this.nodeId);
    if (!shouldHandOver(self, others)) return;
    const camera = this.leases.cameras.at(-1);
    if (!camera) return;
    this.lastMoveAt = now;
    this.counters.handOvers++;
    this.log.info({ camera, load: self.load }, `handing camera '${camera}' over to a less loaded node`);
    this.stopCamera(camera);
    void this.leases.release(camera);
  }

  /**
   * Clean stop: stops claiming, stops every camera held and releases its lease (the others take
   * them at once, not after a lease period), leaves the node list and stops reading the stream.
   */
  async leave(): Promise<void> {
    if (this.leaving) return;
    this.leaving = true;
    for (const t of this.timers) clearInterval(t);
    const held = this.leases.cameras;
    for (const id of held) this.stopCamera(id);
    this.counters.handOvers += held.length;
    await Promise.all(held.map((id) => this.leases.release(id)));
    await this.presence.leave();
    this.leases.stop();
    this.catalog.stop();
    this.view?.stop();
  }

  /** The HTTP origin of the node that runs `camera` when another node does (its media is there), else null. */
  mediaOrigin(camera: string): string | null {
    const owner = this.leases.observed.get(camera)?.value.node;
    return owner && owner !== this.nodeId ? this.presence.httpOf(owner) : null;
  }

  /** The cameras of the site that other nodes run (or no node yet), for the viewer. */
  remoteCameras(): RemoteCamera[] {
    const here = new Set(this.runtime.cameras.map((c) => c.id));
    return [...this.catalog.entries]
      .filter(([id, e]) => !here.has(id) && e.camera !== null)
      .map(([id, e]) => {
        const status = this.view?.statuses.get(id);
        const owner = this.leases.observed.get(id)?.value.node ?? null;
        const current = status && status.node === owner;
        return {
          id,
          state: current ? status.state : 'assigning',
          reason: current ? status.reason : 'waiting for a node to take it',
          node: owner,
          config: e.camera ?? undefined,
        };
      });
  }

  /** The site's cameras for the camera API: the list in the engine, with each camera's state and owner. */
  cameraSet(): CameraSet {
    const local = () => new Map(this.runtime.cameras.map((s) => [s.id, s]));
    const view = (id: string): CameraView => {
      const entry = this.catalog.entries.get(id);
      const source = entry?.camera?.source ?? '';
      const here = local().get(id);
      if (here) return { ...cameraView(here, source), node: this.nodeId };
      if (entry?.error) return { id, state: 'invalid', error: entry.error };
      const status = this.view?.statuses.get(id);
      const owner = this.leases.observed.get(id)?.value.node ?? null;
      return {
        id,
        source: redactSource(source),
        state: status && status.node === owner ? status.state : 'assigning',
        reason: status && status.node === owner ? status.reason : 'waiting for a node to take it',
        node: owner,
      };
    };
    return {
      list: () => [...this.catalog.entries.keys()].sort().map(view),
      add: async (camera) => {
        await this.catalog.add(camera);
        return { id: camera.id, source: redactSource(camera.source), state: 'assigning', node: null };
      },
      remove: (id) => this.catalog.remove(id),
      restart: async (id) => {
        const entry = this.catalog.entries.get(id);
        if (!entry?.camera) throw new CameraSetError('unknown', id);
        // A new revision of the same definition: its owner, wherever it runs, restarts it.
        await this.engine.cameras.put(id, JSON.stringify(entry.camera));
        return view(id);
      },
    };
  }
}
