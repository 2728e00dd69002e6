/**
 * Column sums over rows, the reduction of every bias and LayerNorm
 * parameter gradient: `out[c] (+)= Σ_r x[r, c] (· y[r, c])`. One invocation
 * per column looping over the rows: no workgroup barriers, which dominate
 * short reductions on llvmpipe. Accumulation adds into `out` because a shared
 * parameter (ALBERT) gathers gradient from every layer that applies it.
 */
import type { Dtype, KernelRuntime, KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 64;

/**
 * Kernel variant: with a second factor `y` (LayerNorm's γ gradient, x̂ kept
 * in f32) or without (bias). `dtype` is `x`'s (a gradient of activations);
 * the sum and `out` (a parameter gradient) are f32.
 */
export function columnSumKernel(product: boolean, dtype: Dtype = "f32"): KernelSpec {
  const storage: KernelSpec["storage"] = [{ name: "x", element: "act_t", access: "read" }];
  if (product) storage.push({ name: "y", element: "f32", access: "read" });
  storage.push({ name: "out", element: "f32", access: "read_write" });
  return {
    name: "column_sum",
    key: `column_sum,product=${product}`,
    dtype,
    storage,
    uniforms: [
      { name: "rows", type: "u32" },
      { name: "cols", type: "u32" },
      { name: "ld", type: "u32" },
      { name: "offset", type: "u32" },
      { name: "accumulate", type: "u32" },
    ],
    workgroupSize: WORKGROUP,
    body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let col = gid.x;
  if (col >= params.cols) { return; }
  var s = 0.0;
  for (var r = 0u; r < params.rows; r++) {
    let i = params.offset + r * params.ld + col;
    s += f32(x[i])${product ? " * y[i]" : ""};
  }
  out[col] = select(s, out[col] + s, params.accumulate != 0u);
}
`,
  };
}

/** Record `out[c] (+)= Σ_r x[r, c] (· y[r, c])` over a `[rows, cols]` matrix or column slice. */
export function dispatchColumnSum(
  runtime: KernelRuntime,
  args: {
    x: GPUBuffer;
    y?: GPUBuffer;
    out: GPUBuffer;
    rows: number;
    cols: number;
    /** Row stride and first element of `x` (and `y`), for a column slice (default cols, 0). */
    ld?: number;
    offset?: number;
    accumulate: boolean;
    /** Storage of `x` (default f32). */
    dtype?: Dtype;
  },
) {
  const buffers = args.y ? [args.x, args.y, args.out] : [args.x, args.out];
  return runtime.dispatch(
    columnSumKernel(args.y !== undefined, args.dtype),
    buffers,
    [args.rows, args.cols, args.ld ?? args.cols, args.offset ?? 0, args.accumulate ? 1 : 0],
    [Math.ceil(args.cols / WORKGROUP), 1, 1],
  );
}
