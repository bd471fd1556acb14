import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { projectRoot } from '../../config/load.js';
import { modelNotFoundMessage, resolveModelFile } from '../../config/model-path.js';
import { AutoModel } from './auto-model.js';
import type { CameraDemand, ProfileChoice } from './choose-profile.js';
import {
  availableProfiles,
  EXTRA_PROFILES,
  MODEL_PROFILES,
  modelDirs,
  resolveModel,
  UnknownModelError,
} from './model-profiles.js';
import { costCacheDir, ProfileCostCache } from './profile-costs.js';
import { stateDirOf } from '../process/run-epoch.js';
import type { CameraConfig, EdgevisConfig } from '../../config/schema.js';
import type { Embedder } from '../../models/embedder.js';
import { HistogramEmbedder } from '../../models/histogram-embedder.js';
import { ModelLoadError } from '../../models/onnx-session.js';
import { InferencePool } from '../../models/inference/inference-pool.js';
import { WorkerEmbedder } from '../../models/inference/worker-embedder.js';
import { WorkerSegmenter } from '../../models/inference/worker-segmenter.js';
import type { Segmenter } from '../../models/segmenter.js';
import type { Logger } from '../process/logger.js';
import { availableParallelism } from 'node:os';

/**
 * How the CPU is shared between inferences: `streams` worker threads (0 in the config = auto:
 * 2 when there are 2 or more cores) and the intra-op threads of each session (0 = the cores
 * divided among the streams, at least 1).
 */
export function cpuInferenceLayout(
  model: { readonly cpuStreams: number; readonly intraOpThreads: number },
  cores = availableParallelism(),
): { streams: number; intraOpThreads: number } {
  const streams = model.cpuStreams > 0 ? model.cpuStreams : Math.min(2, Math.max(1, cores));
  return {
    streams,
    intraOpThreads: model.intraOpThreads > 0 ? model.intraOpThreads : Math.max(1, Math.floor(cores / streams)),
  };
}

/**
 * CPU time to decode and convert one frame of a live camera, ms (768×576 H.264/MJPEG on the 2-core
 * machine: decoding ~0.5 ms, conversion to RGB ~0.45 ms; bench/throughput.ts prints it by thread).
 * Live cameras decode every frame, also those the model never sees.
 */
const DECODE_MS_PER_FRAME = 1.0;

/**
 * The models of one process: resolves model files (explicit path > `model.dir` >
 * `$EDGEVIS_MODEL_DIR` > `../shared/models`), chooses the execution provider (first of
 * `model.executionProviders` that loads; the log names it and, at info, why others fell back),
 * shares one session between the cameras that use the same file, and disposes of them all.
 * Loading is lazy: a model is read the first time a camera asks for it.
 *
 * Every ONNX session lives in an inference worker, never on the main thread, so inference never
 * blocks the event loop ({@link InferencePool}): CPU models in each of the CPU streams (frames
 * inferred in parallel, see {@link cpuInferenceLayout}), a GPU model in one queue only, so GPU
 * sessions never run at the same time.
 */
export class ModelRegistry {
  private readonly segmenters = new Map<string, Promise<Segmenter>>();
  private embedderLoad: Promise<Embedder | null> | null = null;
  private pool: InferencePool | null = null;
  /** Inference workers that exited on their own and were replaced. */
  private restarts = 0;
  private readonly layout: { streams: number; intraOpThreads: number };
  private autoModel: AutoModel | null = null;
  /** The embedder's model file, or its kind (the cost cache key). */
  private embedderKey: string | null = null;

  constructor(
    private readonly config: EdgevisConfig,
    private readonly log: Logger,
    private readonly projectDir = projectRoot(),
  ) {
    this.layout = cpuInferenceLayout(config.model);
    if (config.model.executionProviders.includes('webgpu')) ensureRuntimeDir();
  }

  /**
   * The segmenter of a camera. Pinned (the camera's own `model`, or `model.path`, `model.file` or a
   * profile name in `model.profile`): that model, one session per file shared by the cameras that
   * pin it. Otherwise the `auto` model ({@link AutoModel}): shared by every such camera, chosen for
   * the cameras' combined frame rate and switched while they run.
   * @throws ModelLoadError (rejects) with code `not-found` naming what exists and where it looked, or the loader's code
   */
  segmenterFor(camera: CameraConfig): Promise<Segmenter> {
    const pinned = this.pinnedModelOf(camera);
    if (pinned === null) return this.auto().segmenter();
    let path: string;
    try {
      path = resolveModel(pinned, this.dirs()).path;
    } catch (err) {
      return Promise.reject(
        err instanceof UnknownModelError
          ? new ModelLoadError('not-found', `camera '${camera.id}': ${err.message}`)
          : err,
      );
    }
    let load = this.segmenters.get(path);
    if (!load) {
      load = this.loadSegmenter(path);
      this.segmenters.set(path, load);
    }
    return load;
  }

  /**
   * Which model a camera runs and why, for `camera_status` and metrics: its profile (or file) name
   * and, for `auto`, the reason of the current choice; null while `auto` has not chosen yet.
   */
  modelOf(camera: CameraConfig): { profile: string; reason: string } | null {
    const pinned = this.pinnedModelOf(camera);
    if (pinned !== null) {
      const name =
        [...MODEL_PROFILES, ...EXTRA_PROFILES].find((p) => p.name === pinned || p.file === basename(pinned))?.name ??
        basename(pinned).replace(/\.onnx$/, '');
      return { profile: name, reason: camera.model ? "pinned by the camera's model" : 'pinned in the config (model)' };
    }
    const choice = this.autoModel?.current;
    return choice ? { profile: choice.chosen.profile.name, reason: `auto: ${choice.reason}` } : null;
  }

  /** What `auto` plans for: set by the runtime (its cameras and their frame rates). */
  demandSource: () => readonly CameraDemand[] = () => [];
  /** Told whenever `auto` chose a profile (the first time and at each switch). */
  onAutoChoice: ((choice: ProfileChoice) => void) | null = null;

  /**
   * Tells `auto` what one of a camera's frames cost the segmenter (`Tracks.inferenceMs`, ms), so a
   * measured cost far from what the pipeline sees is measured again; ignored for cameras with a pinned model.
   */
  observeInference(camera: CameraConfig, inferenceMs: number): void {
    if (this.autoModel && this.pinnedModelOf(camera) === null) this.autoModel.observe(inferenceMs);
  }

  /** Chooses the `auto` profile again for the cameras as they are now (no-op before any camera uses it). */
  replan(): Promise<void> {
    return this.autoModel?.replan() ?? Promise.resolve();
  }

  /** The model a camera pins (a profile name, file name or path), or null for `auto`. */
  private pinnedModelOf(camera: CameraConfig): string | null {
    const { model } = this.config;
    return camera.model ?? model.path ?? model.file ?? (model.profile !== 'auto' ? model.profile : null);
  }

  private dirs(): string[] {
    return modelDirs(this.config.model, this.projectDir);
  }

  /** The `auto` model, made on first use. */
  private auto(): AutoModel {
    if (this.autoModel) return this.autoModel;
    const candidates = availableProfiles(this.dirs());
    if (candidates.length === 0) {
      const dirs = this.dirs();
      throw new ModelLoadError(
        'not-found',
        `model.profile auto: none of the profiles' files (${MODEL_PROFILES.map((p) => p.file).join(', ')}) is in ${dirs.join(', ')}. Fix: set model.dir or EDGEVIS_MODEL_DIR to the folder that holds them, or pin a model with --model <path>.`,
      );
    }
    this.autoModel = new AutoModel({
      candidates,
      load: (path) => this.loadSegmenter(path),
      embedder: () => this.embedder(),
      embedderKey: () => this.embedderKey,
      demand: () => this.demandSource(),
      budget: {
        cores: availableParallelism(),
        headroom: this.config.model.headroom,
        decodeMsPerFrame: DECODE_MS_PER_FRAME,
      },
      layout: this.layout,
      cache: new ProfileCostCache(costCacheDir(stateDirOf(this.config.stateDir))),
      log: this.log,
      onChoice: (choice) => this.onAutoChoice?.(choice),
    });
    return this.autoModel;
  }

  /** Loads a segmentation model file into the inference workers and logs where it runs. */
  private loadSegmenter(path: string): Promise<Segmenter> {
    const { model } = this.config;
    return WorkerSegmenter.load(this.inferencePool(), path, {
      ...model,
      intraOpThreads: this.layout.intraOpThreads,
    }).then(({ segmenter, fallbacks }) => {
      this.logFallbacks('segmenter', fallbacks);
      this.log.info(
        {
          model: path,
          executionProvider: segmenter.executionProvider,
          input: `${segmenter.inputWidth}x${segmenter.inputHeight}`,
          classes: segmenter.classNames.length,
          ...(segmenter.executionProvider === 'cpu'
            ? { cpuStreams: this.layout.streams, intraOpThreads: this.layout.intraOpThreads }
            : {}),
        },
        `segmenter ${basename(path)} ready on ${segmenter.executionProvider.toUpperCase()} execution provider${whyNot(fallbacks)}`,
      );
      return segmenter;
    });
  }

  /**
   * The appearance embedder `embedder.kind` asks for, shared by every camera: 'auto' takes
   * OSNet when its file is found and colour histograms otherwise, and logs which one is active;
   * null for 'none'.
   * @throws ModelLoadError (rejects) when 'osnet' is asked for and its model is missing or not loadable
   */
  embedder(): Promise<Embedder | null> {
    this.embedderLoad ??= this.loadEmbedder();
    return this.embedderLoad;
  }

  private async loadEmbedder(): Promise<Embedder | null> {
    const { embedder: options, model } = this.config;
    const log = this.log;
    if (options.kind === 'none') {
      this.embedderKey = 'none';
      log.info('appearance embedder: none (motion and overlap only)');
      return null;
    }
    if (options.kind === 'histogram') {
      this.embedderKey = 'histogram';
      log.info('appearance embedder: colour histograms');
      return new HistogramEmbedder();
    }
    const lookup = resolveModelFile({ path: options.path, dir: model.dir }, options.file, this.projectDir);
    this.embedderKey = lookup.found ?? 'histogram';
    if (!lookup.found) {
      if (options.kind === 'osnet')
        throw new ModelLoadError('not-found', `re-identification ${modelNotFoundMessage(options.file, lookup)}`);
      log.info(
        { looked: lookup.candidates },
        `appearance embedder: colour histograms (${options.file} not found; set embedder.path for re-identification)`,
      );
      return new HistogramEmbedder();
    }
    const { embedder, fallbacks } = await WorkerEmbedder.load(
      this.inferencePool(),
      lookup.found,
      model.executionProviders,
      this.layout.intraOpThreads,
    );
    this.logFallbacks('embedder', fallbacks);
    log.info(
      { model: lookup.found, executionProvider: embedder.executionProvider, dim: embedder.dim },
      `appearance embedder: OSNet re-identification on ${embedder.executionProvider.toUpperCase()}${whyNot(fallbacks)}`,
    );
    return embedder;
  }

  /** Inference workers that exited on their own and were replaced, since the start. */
  get workerRestarts(): number {
    return this.restarts;
  }

  /** The process's inference workers, started with the first model. */
  private inferencePool(): InferencePool {
    this.pool ??= new InferencePool(this.layout.streams, (stream, r) => {
      this.restarts++;
      this.log.warn(
        {
          stream,
          exitCode: r.exitCode,
          reason: r.reason,
          lostJobs: r.lostJobs,
          models: r.models,
          restartsInLastMinute: r.restartsInWindow,
        },
        `inference worker ${stream} exited (${r.reason}); replaced, ${r.models} model(s) loaded again, ${r.lostJobs} job(s) it held sent again`,
      );
    });
    return this.pool;
  }

  /** One debug line per execution provider that could not load a model, with why (the provider in use is logged at info). */
  private logFallbacks(what: string, fallbacks: readonly { provider: string; reason: string }[]): void {
    for (const f of fallbacks)
      this.log.debug(
        { provider: f.provider, reason: f.reason },
        `${what}: execution provider ${f.provider} unavailable, falling back`,
      );
  }

  /** Frees every session that was loaded (loads that failed are ignored). */
  async dispose(): Promise<void> {
    await this.autoModel?.dispose();
    for (const load of this.segmenters.values())
      await load.then(
        (s) => s.dispose(),
        () => undefined,
      );
    await this.embedderLoad?.then(
      (e) => e?.dispose(),
      () => undefined,
    );
    await this.pool?.close();
  }
}

/** Why the providers before the one in use were passed over, for the one info line that names the provider (empty when none was). */
function whyNot(fallbacks: readonly { provider: string; reason: string }[]): string {
  // The reason's first clause (the details are in the debug lines).
  return fallbacks.length
    ? ` (not ${fallbacks.map((f) => `${f.provider}: ${f.reason.split(/ \(|, which|: /)[0]}`).join('; not ')})`
    : '';
}

/**
 * Vulkan's window-system code (loaded with a GPU driver) prints "XDG_RUNTIME_DIR is invalid or not
 * set" on the terminal when the variable is missing, as it is under systemd system services and in
 * containers. Before the first GPU session: point it at a private folder of this process's user
 * (mode 0700) when it does not name a usable one. The process environment is shared with the
 * inference workers' native code, so this is done on the main thread, before they start.
 */
export function ensureRuntimeDir(env: NodeJS.ProcessEnv = process.env): void {
  const current = env.XDG_RUNTIME_DIR;
  try {
    if (current && statSync(current).isDirectory()) return;
  } catch {
    /* not there: make one */
  }
  try {
    env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'edgevis-runtime-'));
  } catch {
    /* a read-only /tmp: leave it */
  }
}
