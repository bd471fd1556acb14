/**
 * The names a fleet `name` gives its parts in JetStream (one site per name, so sites can share a
 * cluster). KV bucket names allow `[A-Za-z0-9_-]`; subjects are `.`-separated tokens, and camera
 * ids (`[A-Za-z0-9_-]`, config/camera-id.ts) are valid tokens as they are.
 */
export interface FleetNames {
  /** KV bucket: camera id → the camera's config (JSON, as in the config file's `cameras[]`). */
  readonly cameras: string;
  /** KV bucket: camera id → its lease ({@link LeaseValue}). */
  readonly leases: string;
  /** KV bucket: node id → the node's presence (load, HTTP address). */
  readonly nodes: string;
  /** The stream of every camera's events, states and gaps (kept `streamMaxAgeHours`: history for `?since=`). */
  readonly eventsStream: string;
  /** The stream of every camera's snapshots (kept `snapshotHistoryMinutes`: they are superseded, and with masks they are most of the bytes). */
  readonly tracksStream: string;
  /** Subject of a camera's snapshots (`tracks` messages). */
  tracksSubject(camera: string): string;
  /** Subject of a camera's events, states and gaps. */
  eventsSubject(camera: string): string;
  /** Every camera's snapshots / events (wildcards). */
  readonly allTracks: string;
  readonly allEvents: string;
}

/** The {@link FleetNames} of fleet `name`. */
export function fleetNames(name: string): FleetNames {
  return {
    cameras: `${name}_cameras`,
    leases: `${name}_leases`,
    nodes: `${name}_nodes`,
    eventsStream: `${name}_events`,
    tracksStream: `${name}_tracks`,
    tracksSubject: (camera) => `${name}.tracks.${camera}`,
    eventsSubject: (camera) => `${name}.events.${camera}`,
    allTracks: `${name}.tracks.*`,
    allEvents: `${name}.events.*`,
  };
}

/**
 * The JetStream message id of a camera's message (`Nats-Msg-Id`): the stream drops a second
 * message with the same id within its duplicate window, so a publish retried after a lost
 * acknowledgement is stored once. `seq` already differs per owner (it holds the lease's epoch).
 */
export function messageIdOf(camera: string, seq: number): string {
  return `${camera}:${seq}`;
}
