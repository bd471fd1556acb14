import type { Embedder } from '../models/embedder.js';
import type { Segmenter } from '../models/segmenter.js';
import { SwitchableSegmenter } from '../models/switchable-segmenter.js';
import { chooseProfile, type CameraDemand, type PlanBudget, type ProfileChoice } from './choose-profile.js';
import type { Logger } from './logger.js';
import type { AvailableProfile } from './model-profiles.js';
import { measureProfileCost, ProfileCostCache } from './profile-costs.js';

/** What the `auto` model needs from the process. */
export interface AutoModelParts {
  /** Profiles whose files exist here, most accurate first. */
  readonly candidates: readonly AvailableProfile[];
  /** Loads a model file into the inference workers (a session of its own, disposed of by this class). */
  readonly load: (path: string) => Promise<Segmenter>;
  /** The cameras' embedder (measured with each profile: it shares the cores). */
  readonly embedder: () => Promise<Embedder | null>;
  /** The embedder's model file (for the cost cache key), or its kind. */
  readonly embedderKey: () => string | null;
  /** What the cameras ask of the model now. */
  readonly demand: () => readonly CameraDemand[];
  readonly budget: PlanBudget;
  /** The CPU inference layout (cost cache key; frames kept in flight while measuring). */
  readonly layout: { readonly streams: number; readonly intraOpThreads: number };
  readonly cache: ProfileCostCache;
  readonly log: Logger;
  /** Told after every choice (the first one and each switch). */
  readonly onChoice?: (choice: ProfileChoice) => void;
}

/**
 * `model.profile: auto`: the most accurate segmentation profile this machine can afford for the
 * cameras' combined frame rate ({@link chooseProfile}), chosen again whenever the cameras change
 * ({@link replan}). Each profile's cost is measured on this machine in the pipeline's own thread
 * layout the first time it is needed and cached per machine and model file
 * ({@link ProfileCostCache}). Every camera without a pinned model shares one
 * {@link SwitchableSegmenter}: a switch swaps the model between frames, so tracks and events go on.
 */
export class AutoModel {
  private shared: Promise<SwitchableSegmenter> | null = null;
  private choice: ProfileChoice | null = null;
  private planning: Promise<void> = Promise.resolve();
  private replanQueued = false;
  private closed = false;

  constructor(private readonly parts: AutoModelParts) {}

  /** The current choice (null before the first). */
  get current(): ProfileChoice | null { return this.choice; }

  /** The segmenter of every `auto` camera; the first call makes the first choice (after the cameras started together are all known). */
  segmenter(): Promise<SwitchableSegmenter> {
    this.shared ??= (async () => {
      await new Promise((r) => setImmediate(r)); // the cameras configured together are all in the set by now
      const { choice, model } = await this.plan(null);
      this.announce(choice, null);
      return new SwitchableSegmenter(model!, choice.chosen.profile.name);
    })();
    return this.shared;
  }

  /**
   * Chooses again for the cameras as they are now (added, removed, or a camera's frame rate
   * learnt) and switches the model when the choice changed. Calls made while one runs are folded
   * into one more run.
   */
  replan(): Promise<void> {
    if (!this.shared || this.replanQueued) return this.planning;
    this.replanQueued = true;
    this.planning = this.planning.then(async () => {
      this.replanQueued = false;
      if (this.closed) return;
      const shared = await this.shared!;
      const before = this.choice!;
      const { choice, model } = await this.plan(shared.name);
      if (choice.chosen.profile.name === shared.name) { this.choice = { ...choice }; return; }
      const old = await shared.switchTo(model!, choice.chosen.profile.name);
      this.announce(choice, before);
      await old.dispose();
    }).catch((err: Error) => { this.parts.log.error({ err: err.message }, `model choice failed; the cameras keep ${this.choice?.chosen.profile.name}`); });
    return this.planning;
  }

  /** Frees the model of the current choice. */
  async dispose(): Promise<void> {
    this.closed = true;
    await this.planning;
    await this.shared?.then((s) => s.dispose(), () => undefined);
  }

  /** Chooses; loads the chosen model unless it is `current` (the one in use). Models loaded only to be measured are disposed. */
  private async plan(current: string | null): Promise<{ choice: ProfileChoice; model: Segmenter | null }> {
    const { candidates, budget, layout, cache } = this.parts;
    const loaded = new Map<string, Segmenter>();
    const load = async (p: AvailableProfile) => {
      let model = loaded.get(p.path);
      if (!model) { model = await this.parts.load(p.path); loaded.set(p.path, model); }
      return model;
    };
    // The provider shows once a model is loaded: on a GPU the cost does not decide.
    const first = current === null ? await load(candidates[0]) : null;
    const gpu = first !== null ? first.executionProvider !== 'cpu' : (await this.shared!).executionProvider !== 'cpu';
    const embedder = await this.parts.embedder();
    const costOf = async (p: AvailableProfile) => {
      const key = ProfileCostCache.key({ provider: 'cpu', ...layout, model: p.path, embedder: this.parts.embedderKey() });
      const cached = cache.get(key);
      if (cached) return cached;
      this.parts.log.info(`measuring what ${p.profile.name} costs on this machine (once; cached)`);
      const model = p.profile.name === current ? (await this.shared!).model : await load(p);
      const cost = await measureProfileCost(model, embedder, layout.streams, budget.cores);
      this.parts.log.info({ profile: p.profile.name, fps: Math.round(cost.fps * 10) / 10, cpuMsPerFrame: Math.round(cost.cpuMsPerFrame * 10) / 10 }, `${p.profile.name}: ${cost.fps.toFixed(1)} frames/s with every inference stream busy, ${cost.cpuMsPerFrame.toFixed(1)} ms of CPU per frame, ${cost.latencyMs.toFixed(1)} ms for a frame alone`);
      cache.set(key, cost);
      return cost;
    };
    const demand = this.parts.demand();
    // At the first choice with live cameras, every profile is measured (cached): later choices,
    // made while cameras run, then never measure under their load.
    if (current === null && !gpu && demand.some((c) => c.fps !== null)) for (const p of candidates) await costOf(p);
    const choice = await chooseProfile(candidates, demand, budget, costOf, gpu);
    const name = choice.chosen.profile.name;
    const model = name === current ? null : await load(choice.chosen);
    for (const [path, m] of loaded) if (path !== choice.chosen.path || name === current) await m.dispose();
    this.choice = choice;
    return { choice, model };
  }

  private announce(choice: ProfileChoice, before: ProfileChoice | null): void {
    const name = choice.chosen.profile.name;
    this.parts.log.info({ profile: name, reason: choice.reason, ...(before ? { before: before.chosen.profile.name } : {}) },
      before ? `model profile switched from ${before.chosen.profile.name} to ${name}: ${choice.reason}` : `model profile ${name} (auto): ${choice.reason}`);
    this.parts.onChoice?.(choice);
  }
}
