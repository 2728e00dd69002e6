/**
 * Split-K for skinny Linear layers: when a Linear has fewer output tiles
 * (workgroups) than the device can run at once — the pooler (M = batch), or
 * every layer at batch 1 with a short sequence — most of the device idles.
 * Split-K cuts K into S contiguous ranges, runs the Linear kernel's
 * register-blocked main loop once per range (grid z) writing f32 partial sums
 * to a scratch buffer `[S, M, N4·4]` (N4: the chunk's columns in whole vec4s,
 * no bias or activation), then a small kernel adds the S partials in a fixed
 * order (so results are deterministic run to run), adds the bias and the
 * residual, applies the activation and stores C through the same epilogue as
 * the single-dispatch kernel.
 *
 * Policy (`chooseSplits`): target = the device's parallelism (CPU threads on
 * a software adapter, where each workgroup runs on one thread; a guess for a
 * GPU), S = min(ceil(target / tiles), floor(K / MIN_SPLIT_RANGE)), and S = 1
 * — the unchanged single dispatch — whenever the tiles already fill the target.
 * Ranges are whole multiples of the kernel's K step (4 for f32, 8 for f16) so
 * every range but the last starts and ends on a packed load of A.
 *
 * Scratch: partial sums live in a buffer of a `ScratchPool` (the engine's
 * `ActivationPool`), under a role named by its power-of-two size class. A
 * class's buffer is allocated at exactly that size and so never grows, which
 * means a plan's earlier dispatches can never be left bound to a buffer a later
 * Linear replaced; all Linears of a class share it, since dispatches run one
 * after another. The pool owns and frees it; plans own only their uniforms.
 */
import { type Activation, ACTIVATION_WGSL } from "./activation.ts";
import { epilogueWgsl } from "./_epilogue.ts";
import type { Dtype, KernelSpec } from "../runtime/kernel.ts";
import { isSoftwareAdapter } from "../runtime/device.ts";

/** Fewest K values per range the policy makes: below this the reduce pass outweighs the gain. */
export const MIN_SPLIT_RANGE = 128;

/**
 * Parallelism target assumed for a hardware GPU, whose compute-unit count
 * WebGPU does not expose: a mid-range part's compute units (a guess, not yet
 * measured), at which a 1024-row f32 Linear (64 tiles) stays one dispatch.
 */
export const GPU_PARALLELISM = 64;

/** Buffers by role that outlive the dispatches bound to them (`ActivationPool` is one). */
export interface ScratchPool {
  /** A storage buffer of at least `count` elements of `elementBytes` bytes for `role`. */
  get(role: string, count: number, elementBytes?: number): GPUBuffer;
  /**
   * A texel view (`runtime/texels.ts`) of at least `bytes` for `role`, where
   * the pool keeps them; a later, larger request must not replace a view
   * earlier dispatches are bound to.
   */
  texels?(role: string, bytes: number): GPUTexture;
}

/** Caller's split-K settings: `splits` forces S (tests, benchmarks); `parallelism` overrides the target. */
export interface SplitKOptions {
  splits?: number;
  parallelism?: number;
}

/** Workgroups the device runs at once: CPU threads on llvmpipe/lavapipe, else `GPU_PARALLELISM`. */
export function defaultParallelism(device: GPUDevice): number {
  return isSoftwareAdapter(device)
    ? Math.max(1, navigator.hardwareConcurrency ?? 1)
    : GPU_PARALLELISM;
}

/** A split of K: `splits` ranges of `range` values (the last one may be shorter). */
export interface KSplit {
  splits: number;
  range: number;
}

/**
 * The split of one Linear dispatch after the policy (or `options.splits`,
 * which skips the minimum range): `tiles` is its workgroup count, `step` the
 * kernel's K step, `maxSplits` how many `[M, N4·4]` f32 slices fit one binding.
 */
export function chooseSplits(
  shape: { tiles: number; k: number; step: number; maxSplits: number },
  options: SplitKOptions & { parallelism: number },
): KSplit {
  const { tiles, k, step } = shape;
  const wanted = options.splits ??
    Math.min(Math.ceil(options.parallelism / tiles), Math.floor(k / MIN_SPLIT_RANGE));
  const splits = Math.max(1, Math.min(Math.floor(wanted), shape.maxSplits));
  if (splits === 1) return { splits: 1, range: k };
  // Round each range up to whole steps, then drop the ranges that rounding left empty.
  const range = Math.ceil(k / splits / step) * step;
  return { splits: Math.ceil(k / range), range };
}

/** Pool role of a scratch of `floats` f32 values: its power-of-two size class (see the header). */
export function scratchRole(floats: number): string {
  return `split-k.${2 ** Math.ceil(Math.log2(Math.max(16, floats * 4)))}`;
}

/**
 * The K loop bounds of a Linear kernel whose K step is `step`: the whole of K
 * (the single-dispatch kernel, text unchanged), or with `partial` the range
 * `wg.z` of `params.kRange` values.
 */
export function kRangeWgsl(partial: boolean, step: number) {
  return partial
    ? {
      setup: `let kBegin = wg.z * params.kRange;
  let kEnd = min(kBegin + params.kRange, params.k);
  split = wg.z;
  `,
      main: `kBegin + ((kEnd - kBegin) & ~${step - 1}u)`,
      begin: "kBegin",
      end: "kEnd",
    }
    : { setup: "", main: `params.k & ~${step - 1}u`, begin: "0u", end: "params.k" };
}

/** Invocations per workgroup of the reduce kernel; each sums one vec4 of C over the ranges. */
export const REDUCE_THREADS = 64;

/**
 * Sums the S partial slices of each vec4 of C in range order, then adds the
 * bias (and residual), applies the activation and stores in `dtype` through
 * the shared Linear epilogue (`n0`, `ldc` and `r` as in the Linear kernels).
 */
export function splitKReduceKernel(
  options: { activation: Activation; residual: boolean; dtype: Dtype },
): KernelSpec {
  const { activation, residual, dtype } = options;
  const storage: KernelSpec["storage"] = [
    { name: "partial", element: "vec4<f32>", access: "read" },
    { name: "bias", element: "f32", access: "read" },
    { name: "c", element: "act_t", access: "read_write" },
  ];
  if (residual) storage.push({ name: "r", element: "act_t", access: "read" });
  return {
    name: activation === "none" ? "matmul.reduce" : `matmul.reduce+${activation}`,
    key: `matmul-reduce,act=${activation},res=${residual}`,
    dtype,
    storage,
    uniforms: ["m", "n", "ldc", "n0", "n4", "splits"].map((name) => ({ name, type: "u32" })),
    workgroupSize: REDUCE_THREADS,
    body: `${ACTIVATION_WGSL}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  // The grid may wrap into y (grid1d); index = row · n4 + col4 of slice 0.
  let index = gid.y * groups.x * WORKGROUP_SIZE + gid.x;
  let row = index / params.n4;
  if (row >= params.m) { return; }
  let slice = params.m * params.n4;
  var acc = partial[index];
  for (var z = 1u; z < params.splits; z++) { acc += partial[z * slice + index]; }
  store(row, index % params.n4, acc);
}
${epilogueWgsl(activation, residual)}`,
  };
}
