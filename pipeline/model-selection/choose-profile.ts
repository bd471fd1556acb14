import type { AvailableProfile } from './model-profiles.js';

/** What one camera asks of the model: its frame rate, or null when nothing waits for it (a file read at full speed). */
export interface CameraDemand {
  readonly id: string;
  /** Frames per second it delivers (a live camera, a paced file), or null for a file read as fast as possible. */
  readonly fps: number | null;
  /** Whether `fps` is assumed (a camera that has not delivered its first frame yet) rather than declared by its stream. */
  readonly assumed: boolean;
}

/** The machine and its budget. */
export interface PlanBudget {
  /** Cores the process may use. */
  readonly cores: number;
  /** Largest share of the cores the models and decoding may take, (0, 1]: the rest is headroom (default 0.75). */
  readonly headroom: number;
  /** CPU time to decode one frame of a camera (GStreamer, colour conversion), ms; live cameras decode every frame. */
  readonly decodeMsPerFrame: number;
}

/** The profile chosen and why, in one line. */
export interface ProfileChoice {
  readonly chosen: AvailableProfile;
  readonly reason: string;
  /** Share of the cores the cameras would take with it (null when no live camera or on a GPU). */
  readonly utilisation: number | null;
}

/**
 * Picks the segmentation profile for a set of cameras (`model.profile: auto`): the most accurate
 * of `candidates` (they come most accurate first) whose cost leaves headroom:
 *   Σ_live cameras fps × (CPU ms per frame of the profile + decoding) ≤ headroom × cores × 1000,
 * and each camera's fps ≤ headroom × 1000 / (the time one frame takes alone): a live camera has
 * one frame in the graph at a time, so one fast camera can outrun a profile that the cores could
 * afford in total.
 * - A model on a GPU (`gpu`): the most accurate, the CPU is not what bounds it.
 * - No live camera (only files read at full speed): the most accurate, nothing waits for them.
 * - No profile fits: the cheapest, so the cameras drop as few frames as possible.
 * `costOf` measures a profile on this machine: CPU time per frame (ms, all threads: the model and
 * the embedder in the pipeline's thread layout) and the time one frame takes alone (ms); it is
 * asked only for the profiles the choice needs, in order, so a choice that the most accurate
 * profile satisfies measures nothing else.
 * @throws Error when `candidates` is empty
 */
export async function chooseProfile(
  candidates: readonly AvailableProfile[],
  cameras: readonly CameraDemand[],
  budget: PlanBudget,
  costOf: (p: AvailableProfile) => Promise<{ cpuMsPerFrame: number; latencyMs: number }>,
  gpu = false,
): Promise<ProfileChoice> {
  if (candidates.length === 0) throw new Error('no segmentation profile is available to choose from');
  const best = candidates[0];
  if (gpu)
    return {
      chosen: best,
      reason: `the models run on a GPU: the most accurate profile (${best.profile.name})`,
      utilisation: null,
    };
  const live = cameras.filter((c) => c.fps !== null);
  if (live.length === 0) {
    return {
      chosen: best,
      reason: `no live camera (${cameras.length ? 'files read at full speed: nothing waits for them' : 'no camera yet'}): the most accurate profile`,
      utilisation: null,
    };
  }
  const fps = live.reduce((sum, c) => sum + c.fps!, 0);
  const fastest = Math.max(...live.map((c) => c.fps!));
  const assumed = live.filter((c) => c.assumed).length;
  const load = `${live.length} live camera${live.length > 1 ? 's' : ''} at ${round1(fps)} frames/s in total${assumed ? ` (${assumed} assumed at ${round1(live.find((c) => c.assumed)!.fps!)} until they stream)` : ''}`;
  const budgetMs = budget.headroom * budget.cores * 1000;
  const tried: string[] = [];
  let cheapest: { p: AvailableProfile; util: number; cost: number } | null = null;
  for (const p of candidates) {
    const { cpuMsPerFrame: cost, latencyMs } = await costOf(p);
    const util = (fps * (cost + budget.decodeMsPerFrame)) / (budget.cores * 1000);
    const perCamera = budget.headroom * (1000 / latencyMs);
    if (fps * (cost + budget.decodeMsPerFrame) <= budgetMs && fastest <= perCamera) {
      const skipped = tried.length ? `; more accurate ones would need ${tried.join(', ')}` : '';
      return {
        chosen: p,
        reason: `${load} need ${pct(util)} of ${budget.cores} cores with ${p.profile.name} (${round1(cost)} ms of CPU per frame, ${round1(latencyMs)} ms per frame alone), within ${pct(budget.headroom)}${skipped}`,
        utilisation: util,
      };
    }
    tried.push(
      fastest > perCamera
        ? `${p.profile.name} ${round1(latencyMs)} ms per frame alone, ${round1(1000 / latencyMs)} frames/s for one camera`
        : `${p.profile.name} ${pct(util)}`,
    );
    if (!cheapest || cost < cheapest.cost) cheapest = { p, util, cost };
  }
  return {
    chosen: cheapest!.p,
    reason: `${load}: no profile fits within ${pct(budget.headroom)} of ${budget.cores} cores (${tried.join(', ')}); the cheapest, frames will be dropped`,
    utilisation: cheapest!.util,
  };
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const pct = (v: number) => `${Math.round(v * 100)} %`;
