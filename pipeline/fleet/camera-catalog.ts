import type { KV } from '@nats-io/kv';
import { ConfigError, parseCameraConfig } from '../../config/load.js';
import type { CameraConfig } from '../../config/schema.js';
import type { Logger } from '../process/logger.js';
import { CameraSetError } from '../runtime.js';

/** One camera of the site's list as this node read it. */
export interface CatalogEntry {
  /** The validated camera, or null when its definition fails validation here. */
  readonly camera: CameraConfig | null;
  /** Why it is invalid (names the fields), else null. */
  readonly error: string | null;
  /** KV revision: a new one is a changed camera. */
  readonly revision: number;
}

/**
 * The site's camera list in a JetStream KV bucket (camera id → the camera's config as JSON, as in
 * the config file's `cameras[]`: zones, lines, recording settings travel with it). Every node
 * follows it; any node's camera API changes it; a node's config file seeds it (cameras already
 * listed are kept as they are). A definition that fails this node's validation (written by another
 * version, or by hand) is kept out with its error logged once, never started.
 */
export class CameraCatalog {
  readonly entries = new Map<string, CatalogEntry>();
  private watching: { stop(): void } | null = null;
  /** Called after every change of the list. */
  onChange: () => void = () => undefined;

  constructor(
    private readonly kv: KV,
    private readonly log: Logger,
    private readonly baseDir: string,
  ) {}

  /** Starts following the list; resolves once the current list has been read. */
  async watch(): Promise<void> {
    const watcher = await this.kv.watch({ key: '>' });
    this.watching = watcher;
    let initialized!: () => void;
    const ready = new Promise<void>((r) => {
      initialized = r;
    });
    // An empty list delivers nothing: it is read already.
    if ((await this.kv.status()).values === 0) initialized();
    void (async () => {
      for await (const e of watcher) {
        if (e.operation !== 'PUT') this.entries.delete(e.key);
        else this.entries.set(e.key, this.read(e.key, e.string(), e.revision));
        if (e.delta === 0) initialized();
        this.onChange();
      }
    })();
    await Promise.race([ready, new Promise((r) => setTimeout(r, 2000))]);
  }

  private read(id: string, text: string, revision: number): CatalogEntry {
    try {
      const camera = parseCameraConfig(JSON.parse(text), `the fleet's camera list (camera '${id}')`, this.baseDir);
      if (camera.id !== id) throw new ConfigError(`camera '${id}' is stored with id '${camera.id}'`);
      return { camera, error: null, revision };
    } catch (err) {
      const error = (err as Error).message;
      if (this.entries.get(id)?.error !== error)
        this.log.error(
          { camera: id, err: error },
          `camera '${id}' in the fleet's camera list is invalid here; it is not started (fix it through the camera API)`,
        );
      return { camera: null, error, revision };
    }
  }

  /** The valid cameras, by id. */
  get cameras(): Map<string, CameraConfig> {
    return new Map(
      [...this.entries].filter(([, e]) => e.camera !== null).map(([id, e]) => [id, e.camera as CameraConfig]),
    );
  }

  /** Writes the config file's cameras that the list does not hold yet. */
  async seed(cameras: readonly CameraConfig[]): Promise<void> {
    for (const camera of cameras) {
      try {
        await this.kv.create(camera.id, JSON.stringify(camera));
        this.log.info({ camera: camera.id }, 'camera added to the fleet from the config file');
      } catch (err) {
        if (!/wrong last sequence|key exists/i.test((err as Error).message)) throw err;
      }
    }
  }

  /**
   * Adds a camera for the whole site.
   * @throws CameraSetError (`exists`) when the list holds its id
   */
  async add(camera: CameraConfig): Promise<void> {
    try {
      await this.kv.create(camera.id, JSON.stringify(camera));
    } catch (err) {
      if (/wrong last sequence|key exists/i.test((err as Error).message)) throw new CameraSetError('exists', camera.id);
      throw err;
    }
  }

  /**
   * Removes a camera from the site (its owner stops it).
   * @throws CameraSetError (`unknown`) when the list does not hold it
   */
  async remove(id: string): Promise<void> {
    if (!this.entries.has(id)) throw new CameraSetError('unknown', id);
    await this.kv.delete(id);
  }

  /** Stops following the list. */
  stop(): void {
    this.watching?.stop();
  }
}
