import type { Embedder } from '../../models/embedder.js';
import type { Segmenter } from '../../models/segmenter.js';
import { SwitchableSegmenter } from '../../models/switchable-segmenter.js';
import { chooseProfile, type CameraDemand, type PlanBudget, type ProfileChoice } from './choose-profile.js';
import type { Logger } from '../process/logger.js';
import type { AvailableProfile } from './model-profiles.js';
import { measureProfileCost, ProfileCostCache, type ProfileCost } from './profile-costs.js';

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
  /** Told after every choice (the first one, each switch, and each change of its reason). */
  readonly onChoice?: (choice: ProfileChoice) => void;
  /** The clock of the drift check, ms (tests pass their own); default performance.now. */
  readonly now?: () => number;
}

/** The window over which the running pipeline's segmenter time is compared with the measured cost, ms. */
export const DRIFT_WINDOW_MS = 60_000;
/** A measured cost this many times off what the running pipeline sees (either way) is measured again. */
export const DRIFT_RATIO = 2;
/** Costs are measured again for drift at most this often, ms. */
const REMEASURE_MIN_INTERVAL_MS = 10 * 60_000;
/** A measurement that was not cached (taken under other processes' load) is used this long before it is measured again, ms. */
const PROVISIONAL_MS = 10 * 60_000;

/**
 * `model.profile: auto`: the most accurate segmentation profile this machine can afford for the
 * cameras' combined frame rate ({@link chooseProfile}), chosen again whenever the cameras change
 * ({@link replan}). Each profile's cost is measured on this machine in the pipeline's own thread
 * layout the first time it is needed and cached per machine and model file
 * ({@link ProfileCostCache}) for a day, unless other processes took more than a quarter of the
 * CPU while it was measured (then it is used for 10 minutes, not cached). The running pipeline
 * checks the cost: when the segmenter time of the `auto` cameras' frames stays {@link DRIFT_RATIO}×
 * off the measured one for {@link DRIFT_WINDOW_MS}, every cost is measured again and the choice
 * made anew ({@link observe}). Every camera without a pinned model shares one
 * {@link SwitchableSegmenter}: a switch swaps the model between frames, so tracks and events go on.
 */
export class AutoModel {
  private shared: Promise<SwitchableSegmenter> | null = null;
  private choice: ProfileChoice | null = null;
  private planning: Promise<void> = Promise.resolve();
  private replanQueued = false;
  private closed = false;
  /** Costs in use: cached ones, and measurements not cached (taken under load) until `until`. */
  private readonly costs = new Map<string, { cost: ProfileCost; until: number }>();
  /** The drift check's current window: segmenter ms summed over frames since `from`. */
  private drift = { from: -1, sumMs: 0, frames: 0 };
  private lastRemeasure = -Infinity;
  private readonly now: () => number;

  constructor(private readonly parts: AutoModelParts) {
    this.now = parts.now ?? (() => performance.now());
  }

  /**
   * The segmenter time of one frame an `auto` camera processed (`Tracks.inferenceMs`: letterbox,
   * the model's run and decoding, without queueing), ms. Once a window of {@link DRIFT_WINDOW_MS}
   * closes with its mean {@link DRIFT_RATIO}× above or below the chosen profile's measured
   * `segmentMs`, the costs are measured again (at most every 10 minutes) and the choice made anew.
   */
  observe(inferenceMs: number): void {
    const now = this.now();
    const choice = this.choice;
    const cost = choice ? this.costs.get(choice.chosen.path)?.cost : undefined;
    if (!cost?.segmentMs || !(inferenceMs > 0)) return;
    if (this.drift.from < 0) this.drift = { from: now, sumMs: 0, frames: 0 };
    this.drift.sumMs += inferenceMs;
    this.drift.frames++;
    if (now - this.drift.from < DRIFT_WINDOW_MS) return;
    const observed = this.drift.sumMs / this.drift.frames;
    this.drift = { from: now, sumMs: 0, frames: 0 };
    const ratio = observed / cost.segmentMs;
    if (ratio < DRIFT_RATIO && ratio > 1 / DRIFT_RATIO) return;
    if (now - this.lastRemeasure < REMEASURE_MIN_INTERVAL_MS) return;
    this.lastRemeasure = now;
    this.parts.log.warn(
      {
        profile: choice!.chosen.profile.name,
        measuredMs: Math.round(cost.segmentMs * 10) / 10,
        observedMs: Math.round(observed * 10) / 10,
      },
      `${choice!.chosen.profile.name} takes ${observed.toFixed(1)} ms per frame in the running pipeline over the last ${DRIFT_WINDOW_MS / 1000} s, ${ratio.toFixed(1)}× the ${cost.segmentMs.toFixed(1)} ms measured ${cost.measuredAt}: measuring every profile again`,
    );
    this.parts.cache.clear();
    this.costs.clear();
    void this.replan();
  }

  /** The current choice (null before the first). */
  get current(): ProfileChoice | null {
    return this.choice;
  }

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
    this.planning = this.planning
      .then(async () => {
        this.replanQueued = false;
        if (this.closed) return;
        const shared = await this.shared!;
        const before = this.choice!;
        const { choice, model } = await this.plan(shared.name);
        if (choice.chosen.profile.name === shared.name) {
          // The same model, maybe for other reasons (a camera more or less): the cameras' states say why.
          if (choice.reason !== before.reason) this.parts.onChoice?.(choice);
          return;
        }
        const old = await shared.switchTo(model!, choice.chosen.profile.name);
        this.announce(choice, before);
        await old.dispose();
      })
      .catch((err: Error) => {
        this.parts.log.error(
          { err: err.message },
          `model choice failed; the cameras keep ${this.choice?.chosen.profile.name}`,
        );
      });
    return this.planning;
  }

  /** Frees the model of the current choice. */
  async dispose(): Promise<void> {
    this.closed = true;
    await this.planning;
    await this.shared?.then(
      (s) => s.dispose(),
      () => undefined,
    );
  }

  /** Chooses; loads the chosen model unless it is `current` (the one in use). Models loaded only to be measured are disposed. */
  private async plan(current: string | null): Promise<{ choice: ProfileChoice; model: Segmenter | null }> {
    const { candidates, budget, layout, cache } = this.parts;
    const loaded = new Map<string, Segmenter>();
    const load = async (p: AvailableProfile) => {
      let model = loaded.get(p.path);
      if (!model) {
        model = await this.parts.load(p.path);
        loaded.set(p.path, model);
      }
      return model;
    };
    // The provider shows once a model is loaded: on a GPU the cost does not decide.
    const first = current === null ? await load(candidates[0]) : null;
    const gpu = first !== null ? first.executionProvider !== 'cpu' : (await this.shared!).executionProvider !== 'cpu';
    const embedder = await this.parts.embedder();
    const costOf = async (p: AvailableProfile) => {
      const key = ProfileCostCache.key({
        provider: 'cpu',
        ...layout,
        model: p.path,
        embedder: this.parts.embedderKey(),
      });
      const known = this.costs.get(p.path);
      if (known && this.now() < known.until) return known.cost;
      const cached = cache.get(key);
      if (cached) {
        this.costs.set(p.path, { cost: cached, until: Infinity });
        return cached;
      }
      this.parts.log.info(`measuring what ${p.profile.name} costs on this machine (cached for a day)`);
      const model = p.profile.name === current ? (await this.shared!).model : await load(p);
      const cost = await measureProfileCost(model, embedder, layout.streams, budget.cores);
      const kept = cache.set(key, cost);
      const others = `${Math.round(100 * (cost.othersCpuShare ?? 0))} % of the CPU taken by other processes meanwhile`;
      this.parts.log.info(
        {
          profile: p.profile.name,
          fps: Math.round(cost.fps * 10) / 10,
          cpuMsPerFrame: Math.round(cost.cpuMsPerFrame * 10) / 10,
          frames: cost.frames,
          othersCpuShare: cost.othersCpuShare,
        },
        `${p.profile.name}: ${cost.fps.toFixed(1)} frames/s with every inference stream busy, ${cost.cpuMsPerFrame.toFixed(1)} ms of CPU per frame, ${cost.latencyMs.toFixed(1)} ms for a frame alone (${cost.frames} frames, ${others}${kept ? '' : ': not cached, measured again in 10 minutes'})`,
      );
      this.costs.set(p.path, { cost, until: kept ? Infinity : this.now() + PROVISIONAL_MS });
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
    this.parts.log.info(
      { profile: name, reason: choice.reason, ...(before ? { before: before.chosen.profile.name } : {}) },
      before
        ? `model profile switched from ${before.chosen.profile.name} to ${name}: ${choice.reason}`
        : `model profile ${name} (auto): ${choice.reason}`,
    );
    this.parts.onChoice?.(choice);
  }
}
