/**
 * LayerNorm with fused residual adds: `out = LN(x + r1 (+ r2)) * gamma + beta`
 * over rows of `size` elements. One workgroup per row (`layer_norm_row` in
 * `_reduce.ts`), read as vec4s when `size` is a multiple of 4 (1.3× faster
 * on llvmpipe at 1024×768); activations are f32 or f16, statistics always
 * f32. On a software adapter with fixed-size subgroups (llvmpipe: 8 lanes) the
 * workgroup is one subgroup and its sums are `subgroupAdd`s, without the
 * barriers of a tree reduction.
 * Used after attention (`LN(h + dense(ctx))`) and after the FFN
 * (`LN(ffn + a (+ PAL(h)))`).
 */
import { LAYER_NORM_CACHED, layerNormRowWgsl, workgroupSumWgsl } from "./_reduce.ts";
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";
import { simdSubgroupSize } from "../runtime/device.ts";

const WORKGROUP = 64;

/**
 * The summed inputs of a LayerNorm with 0–2 residuals: the bindings `x`, `r1`,
 * `r2`, `gamma`, `beta`, `out` (activations typed `act_t`, f32 unless the
 * kernel's dtype says otherwise) and the f32 WGSL sum of element `base + i`
 * (with `width` 4, of the vec4 `base + i`, as a vec4f), of type `sumType`.
 */
export function layerNormInputs(residuals: 0 | 1 | 2, width: 1 | 4 = 1) {
  const inputs = ["x", "r1", "r2"].slice(0, residuals + 1);
  const [act, f32] = width === 4 ? ["vec4<act_t>", "vec4<f32>"] : ["act_t", "f32"];
  const sum = inputs.map((name) => `${f32}(${name}[base + i])`).join(" + ");
  const storage: KernelSpec["storage"] = [
    ...inputs.map((name) => ({ name, element: act, access: "read" as const })),
    { name: "gamma", element: f32, access: "read" },
    { name: "beta", element: f32, access: "read" },
    { name: "out", element: act, access: "read_write" },
  ];
  return { sum, sumType: f32, storage };
}

/**
 * Kernel variant by number of residual inputs (0, 1 or 2) and activation
 * dtype; with `subgroupSize`, one subgroup of that size per row; with
 * `width` 4, rows (a multiple of 4 long) are read and written as vec4s.
 */
export function layerNormKernel(
  residuals: 0 | 1 | 2,
  dtype: Dtype = "f32",
  subgroupSize?: number,
  width: 1 | 4 = 1,
  /** Bake in this row length and keep each invocation's values in registers, when few enough. */
  size?: number,
): KernelSpec {
  const { sum, sumType, storage } = layerNormInputs(residuals, width);
  const workgroupSize = subgroupSize ?? WORKGROUP;
  const cached = size !== undefined && size / width / workgroupSize <= LAYER_NORM_CACHED
    ? { size, workgroupSize }
    : undefined;
  return {
    name: "layernorm",
    key: `layernorm,residuals=${residuals},sg=${subgroupSize ?? 0},width=${width},size=${
      cached?.size ?? "any"
    }`,
    dtype,
    storage,
    uniforms: [
      { name: "rows", type: "u32" },
      { name: "size", type: "u32" },
      { name: "eps", type: "f32" },
    ],
    workgroupSize,
    body: `${workgroupSumWgsl(workgroupSize, subgroupSize !== undefined)}${
      layerNormRowWgsl(width, cached)
    }
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nwg: vec3u,
        @builtin(local_invocation_index) lid: u32) {
  let row = wg.x + wg.y * nwg.x;
  if (row >= params.rows) { return; }
  layer_norm_row(row * params.size / ${width}u, lid);
}

fn ln_input(base: u32, i: u32) -> ${sumType} { return ${sum}; }
`,
  };
}

/** Record `out = LN(x + residuals...)` over `rows` rows of `size`. */
export function dispatchLayerNorm(
  runtime: KernelRuntime,
  args: {
    x: GPUBuffer;
    residuals?: GPUBuffer[];
    gamma: GPUBuffer;
    beta: GPUBuffer;
    out: GPUBuffer;
    rows: number;
    size: number;
    eps: number;
    dtype?: Dtype;
    /** One subgroup per row (default: on software adapters with fixed-size subgroups). */
    subgroups?: boolean;
  },
) {
  const residuals = args.residuals ?? [];
  if (residuals.length > 2) throw new Error("LayerNorm takes at most two residual inputs");
  return runtime.dispatch(
    layerNormKernel(
      residuals.length as 0 | 1 | 2,
      args.dtype,
      args.subgroups === false ? undefined : simdSubgroupSize(runtime.device),
      args.size % 4 === 0 ? 4 : 1,
      args.size,
    ),
    [args.x, ...residuals, args.gamma, args.beta, args.out],
    [args.rows, args.size, args.eps],
    grid1d(args.rows),
  );
}
