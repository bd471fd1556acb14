/** A live node of the fleet as the assignment sees it. */
export interface NodeLoad {
  readonly node: string;
  /** CPU the node's process used over the last seconds, as a fraction of its machine (0 = idle, 1 = every core busy). */
  readonly load: number;
  /** Cameras it owns now. */
  readonly cameras: number;
}

/** Cost assumed for a camera before any node has measured one, fraction of a machine. */
export const DEFAULT_CAMERA_COST = 0.1;

/**
 * What one camera costs on this site, fraction of a machine: the measured CPU of the nodes that
 * run cameras divided by the cameras they run ({@link DEFAULT_CAMERA_COST} before any runs one).
 * The cost model is the site's own measurement, so a site of light cameras packs more per node.
 */
export function cameraCost(nodes: readonly NodeLoad[]): number {
  const busy = nodes.filter((n) => n.cameras > 0);
  const cameras = busy.reduce((s, n) => s + n.cameras, 0);
  if (cameras === 0) return DEFAULT_CAMERA_COST;
  return Math.max(0.005, busy.reduce((s, n) => s + n.load, 0) / cameras);
}

/**
 * Which live node should take each free camera: greedily, the node with the least projected load
 * (its measured load plus {@link cameraCost} for each camera given to it so far), ties broken by
 * rendezvous hashing of (camera, node) so every node computes the same answer from the same view
 * and only the chosen one claims (a claim is a compare-and-set, so a disagreement costs a failed
 * claim, never two owners).
 * @param free camera ids without a live lease
 * @param nodes live nodes (at least one, or the result is empty)
 * @returns camera id → node id
 */
export function assignFreeCameras(free: readonly string[], nodes: readonly NodeLoad[]): Map<string, string> {
  const cost = cameraCost(nodes);
  const projected = new Map(nodes.map((n) => [n.node, n.load]));
  const plan = new Map<string, string>();
  for (const camera of [...free].sort()) {
    let best: string | null = null;
    let bestLoad = Infinity;
    for (const n of nodes) {
      const load = projected.get(n.node)!;
      // Loads within 1 % of a machine are the same load (measurement noise): the hash decides.
      if (load < bestLoad - 0.01 || (Math.abs(load - bestLoad) <= 0.01 && rendezvous(camera, n.node, best))) {
        best = n.node;
        bestLoad = Math.min(load, bestLoad);
      }
    }
    if (best === null) break;
    plan.set(camera, best);
    projected.set(best, projected.get(best)! + cost);
  }
  return plan;
}

/**
 * Whether this node should hand one camera over to the least loaded other node: only when moving
 * one camera still leaves this node at least as loaded as the receiver, by `margin` (hysteresis:
 * a move costs a reconnect, so loads within one camera of each other stay as they are).
 * @param margin fraction of a machine (default 0.1)
 */
export function shouldHandOver(self: NodeLoad, others: readonly NodeLoad[], margin = 0.1): boolean {
  if (self.cameras < 2 || others.length === 0) return false;
  const cost = cameraCost([self, ...others]);
  const least = Math.min(...others.map((n) => n.load));
  return self.load - cost >= least + cost + margin;
}

/** Rendezvous (highest random weight) order of `a` against `b` for `camera`: true when `a` wins (or `b` is null). */
function rendezvous(camera: string, a: string, b: string | null): boolean {
  if (b === null) return true;
  const ha = fnv1a(`${camera}\u0000${a}`),
    hb = fnv1a(`${camera}\u0000${b}`);
  return ha > hb || (ha === hb && a < b);
}

/** 32-bit FNV-1a hash of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
