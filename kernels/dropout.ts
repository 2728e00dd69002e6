/**
 * Dropout with a counter-based RNG: whether element `index` of dropout site
 * `site` is kept is a hash of (step seed, site, index), so the backward pass
 * regenerates the forward mask instead of storing it, a run is reproducible
 * from its seed, and resuming at step `s` draws the same masks as an
 * uninterrupted run. The step seed lives in a one-word storage buffer the
 * trainer rewrites each step, so recorded dispatches are reused.
 */
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 256;

/**
 * WGSL `dropout_keep(index, site)`: true when the element survives. Needs a
 * `rng: array<u32>` binding (word 0 = step seed) and `params.threshold`
 * (`floor(p · 2³²)`; an element is kept when its hash is at least that).
 */
export const DROPOUT_WGSL = /* wgsl */ `
// PCG hash (Jarzynski & Olano 2020): a well-mixed u32 -> u32 permutation.
fn pcg_hash(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn dropout_keep(index: u32, site: u32) -> bool {
  return pcg_hash(index ^ pcg_hash(site ^ pcg_hash(rng[0]))) >= params.threshold;
}
`;

/** `floor(p · 2³²)`, the kernel's keep threshold for drop probability `p`. */
export function dropoutThreshold(p: number): number {
  if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout probability must be in [0, 1), got ${p}`);
  return Math.min(0xffffffff, Math.floor(p * 2 ** 32));
}

/** Float64 mirror of the kernel's keep decision, for tests. */
export function dropoutKeepReference(seed: number, site: number, index: number, p: number) {
  const pcg = (v: number) => {
    const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
    const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
    return ((word >>> 22) ^ word) >>> 0;
  };
  return pcg((index ^ pcg((site ^ pcg(seed)) >>> 0)) >>> 0) >= dropoutThreshold(p);
}

/** `out = x · keep / (1 − p)`: the forward pass, and also the backward (same mask on dy). */
export function dropoutKernel(dtype: Dtype = "f32"): KernelSpec {
  return {
    name: "dropout",
    key: `dropout`,
    dtype,
    storage: [
      { name: "x", element: "act_t", access: "read" },
      { name: "out", element: "act_t", access: "read_write" },
      { name: "rng", element: "u32", access: "read" },
    ],
    uniforms: [
      { name: "count", type: "u32" },
      { name: "site", type: "u32" },
      { name: "threshold", type: "u32" },
      { name: "scale", type: "f32" },
      { name: "accumulate", type: "u32" },
    ],
    workgroupSize: WORKGROUP,
    body: `${DROPOUT_WGSL}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (i >= params.count) { return; }
  var v = select(0.0, f32(x[i]) * params.scale, dropout_keep(i, params.site));
  if (params.accumulate != 0u) { v += f32(out[i]); }
  out[i] = act_t(v);
}
`,
  };
}

/** Record dropout of `count` elements at `site` with drop probability `p`. */
export function dispatchDropout(
  runtime: KernelRuntime,
  args: {
    x: GPUBuffer;
    out: GPUBuffer;
    rng: GPUBuffer;
    count: number;
    site: number;
    p: number;
    accumulate?: boolean;
    dtype?: Dtype;
  },
) {
  return runtime.dispatch(
    dropoutKernel(args.dtype),
    [args.x, args.out, args.rng],
    [args.count, args.site, dropoutThreshold(args.p), 1 / (1 - args.p), args.accumulate ? 1 : 0],
    grid1d(Math.ceil(args.count / WORKGROUP)),
  );
}
