import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import ort from 'onnxruntime-node';

/** Execution providers edgevis knows how to ask onnxruntime-node for. */
export type ExecutionProvider = 'cuda' | 'webgpu' | 'cpu';

/** A loaded ONNX session plus what was learnt while loading it. */
export interface LoadedOnnxModel {
  readonly session: ort.InferenceSession;
  /** The provider that accepted the model (the first in the preference list that worked). */
  readonly executionProvider: ExecutionProvider;
  /** Providers tried before it, each with the reason it failed. */
  readonly fallbacks: readonly { provider: ExecutionProvider; reason: string }[];
  /** The raw model bytes (for metadata). */
  readonly bytes: Uint8Array;
}

/**
 * Machine-readable cause of a model failure: `not-found` (no file where it was looked for),
 * `unreadable` (exists, cannot be read), `invalid` (not a loadable ONNX model),
 * `wrong-kind` (loads, but is not the kind of model asked for, or lacks a requested class).
 */
export type ModelErrorCode = 'not-found' | 'unreadable' | 'invalid' | 'wrong-kind';

/** Raised for a model file that is missing or not loadable; the message says what to do. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(
    readonly code: ModelErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Loads an ONNX model trying execution providers in order. onnxruntime-node throws (rather
 * than falling back) when asked for `cuda` or `webgpu` without their libraries or driver,
 * so each is tried alone and the first that creates a session wins; `cpu` always ends the list.
 * A provider that cannot work here ({@link providerUnavailableReason}) is not tried at all, so a
 * machine without a GPU starts quietly; the reasons are returned as `fallbacks`.
 *
 * @param path model file
 * @param providers preference order, e.g. ['cuda', 'webgpu', 'cpu']
 * @param intraOpThreads CPU threads for one inference (0 = onnxruntime default)
 * @param spinning let idle intra-op threads spin (ONNX Runtime's default; off unless EDGEVIS_ORT_SPINNING=1, see below)
 * @throws ModelLoadError when the file is missing, unreadable or not a valid model
 */
export async function loadOnnxModel(
  path: string,
  providers: readonly ExecutionProvider[],
  intraOpThreads = 0,
  spinning = process.env.EDGEVIS_ORT_SPINNING === '1',
): Promise<LoadedOnnxModel> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new ModelLoadError(
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not-found' : 'unreadable',
      `model file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  quietOnnxRuntimeLogging();
  const order = providers.includes('cpu') ? providers : [...providers, 'cpu' as const];
  const fallbacks: { provider: ExecutionProvider; reason: string }[] = [];
  for (const provider of order) {
    const unavailable = providerUnavailableReason(provider);
    if (unavailable) {
      fallbacks.push({ provider, reason: unavailable });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
        ...(intraOpThreads > 0 ? { intraOpNumThreads: intraOpThreads } : {}),
        // Idle ONNX Runtime threads spin by default; with a segmenter and an embedder session (each
        // its own pool) next to GStreamer's decoders on a few cores, the spinning pool steals the
        // cores the running one needs (measured: segmentation 19 ms in the worker against 10 ms alone).
        ...(spinning
          ? {}
          : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
        logSeverityLevel: 3,
      });
      return { session, executionProvider: provider, fallbacks, bytes };
    } catch (err) {
      const reason = firstLine((err as Error).message);
      if (provider === 'cpu') {
        throw new ModelLoadError('invalid', `model file ${path} is not a loadable ONNX model: ${reason}`);
      }
      fallbacks.push({ provider, reason });
    }
  }
  throw new ModelLoadError('invalid', `no execution provider could load ${path}`);
}

/**
 * Keeps ONNX Runtime's process-wide logger to fatal messages: its default prints a red error on
 * the terminal for every provider it cannot load (e.g. the CUDA libraries that were never
 * installed), although edgevis expects that and falls back. Failures still arrive as exceptions.
 * Call before the first session is created.
 */
export function quietOnnxRuntimeLogging(): void {
  ort.env.logLevel = 'fatal';
}

/**
 * Why an execution provider cannot work on this machine, found without asking ONNX Runtime (whose
 * attempt prints errors from native code: Dawn's Vulkan warnings, the CUDA provider bridge), or
 * null when it may work and must be tried.
 * - `cuda`: onnxruntime-node's CUDA provider library (downloaded at install time, skipped here) is absent;
 * - `webgpu`: Dawn runs on Vulkan, and no hardware Vulkan driver is installed: no ICD manifest, or
 *   only software ones (Mesa's lavapipe/llvmpipe, SwiftShader: a CPU behind a Vulkan API, slower
 *   than ONNX Runtime's own CPU kernels, and Dawn warns about their missing features on the
 *   terminal), or no GPU device node (/dev/dri/renderD*, /dev/nvidia*).
 */
export function providerUnavailableReason(provider: ExecutionProvider, env = process.env): string | null {
  if (provider === 'cuda') {
    const dir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const lib = join(dir, 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
    return existsSync(lib)
      ? null
      : `the CUDA provider library is not installed (${basename(lib)}; onnxruntime-node's install step downloads it unless ONNXRUNTIME_NODE_INSTALL=skip)`;
  }
  if (provider === 'webgpu') {
    const listed = (env.VK_DRIVER_FILES ?? env.VK_ICD_FILENAMES)?.split(':').filter(Boolean);
    const dirs = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];
    const manifests =
      listed ??
      dirs.flatMap((d) => {
        try {
          return readdirSync(d)
            .filter((f) => f.endsWith('.json'))
            .map((f) => join(d, f));
        } catch {
          return [];
        }
      });
    if (manifests.length === 0)
      return `no Vulkan driver is installed (no ICD manifest in ${dirs.join(', ')}), which WebGPU (Dawn) needs`;
    const hardware = manifests.filter((m) => !isSoftwareVulkanDriver(m));
    if (hardware.length === 0)
      return `only a software Vulkan driver is installed (${manifests.map((m) => basename(m)).join(', ')}: the CPU behind a Vulkan API, slower than ONNX Runtime's CPU kernels)`;
    if (!hasGpuDevice())
      return 'no GPU device node (/dev/dri/renderD*, /dev/nvidia0) is present, so the Vulkan driver has no adapter to drive';
    return null;
  }
  return null;
}

/** Whether an ICD manifest names a software Vulkan driver (lavapipe/llvmpipe, SwiftShader), by its file name or library path. */
export function isSoftwareVulkanDriver(manifestPath: string): boolean {
  const software = /lvp|lavapipe|llvmpipe|swiftshader|swrast/i;
  if (software.test(basename(manifestPath))) return true;
  try {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { ICD?: { library_path?: string } };
    return software.test(manifest.ICD?.library_path ?? '');
  } catch {
    return false; // unreadable: let Dawn decide
  }
}

/** Whether the machine has a GPU device node a Vulkan driver could open (DRM render node or NVIDIA's). */
function hasGpuDevice(): boolean {
  try {
    if (readdirSync('/dev/dri').some((f) => f.startsWith('renderD'))) return true;
  } catch {
    /* no DRM devices */
  }
  return existsSync('/dev/nvidia0') || existsSync('/dev/dxg'); // dxg: WSL2's GPU
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim().length > 0) ?? text;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
