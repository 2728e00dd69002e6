/**
 * LayerNorm for training: the forward saves what the backward needs, the
 * normalised values `x̂` and `1/σ` per row, and the backward computes the
 * input gradient row by row:
 *
 *   forward   s = x + r1 (+ r2);  x̂ = (s − mean) / σ;  out = x̂·γ + β
 *   backward  g = dy·γ;  ds = (g − mean(g) − x̂·mean(g·x̂)) / σ
 *
 * `ds` is the gradient of every summed input (the residual stream and the
 * branch). γ and β gradients are column sums (`column_sum.ts`). One
 * invocation per row: rows are short (E or H) and many (B·T), and on
 * llvmpipe the barriers of a workgroup reduction cost more than the loop.
 */
import { layerNormInputs } from "./layernorm.ts";
import { type Dtype, grid1d, type KernelRuntime, type KernelSpec } from "../runtime/kernel.ts";

const WORKGROUP = 64;

/** Forward kernel variant by number of residual inputs and activation dtype (x̂ and 1/σ stay f32). */
export function layerNormTrainKernel(residuals: 0 | 1 | 2, dtype: Dtype = "f32"): KernelSpec {
  const { sum, storage } = layerNormInputs(residuals);
  storage.push(
    { name: "xhat", element: "f32", access: "read_write" },
    { name: "rstd", element: "f32", access: "read_write" },
  );
  return {
    name: "layernorm_train",
    key: `layernorm_train,residuals=${residuals}`,
    dtype,
    storage,
    uniforms: [
      { name: "rows", type: "u32" },
      { name: "size", type: "u32" },
      { name: "eps", type: "f32" },
    ],
    workgroupSize: WORKGROUP,
    body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (row >= params.rows) { return; }
  let base = row * params.size;
  var s = 0.0;
  for (var i = 0u; i < params.size; i++) {
    let v = ${sum};
    xhat[base + i] = v;
    s += v;
  }
  let mean = s / f32(params.size);
  var q = 0.0;
  for (var i = 0u; i < params.size; i++) {
    let d = xhat[base + i] - mean;
    q += d * d;
  }
  let inv = inverseSqrt(q / f32(params.size) + params.eps);
  for (var i = 0u; i < params.size; i++) {
    let n = (xhat[base + i] - mean) * inv;
    xhat[base + i] = n;
    out[base + i] = act_t(n * gamma[i] + beta[i]);
  }
  rstd[row] = inv;
}
`,
  };
}

/** The backward row kernel: `ds` written, or added when `accumulate` is set; `dy`, `ds` in `dtype`. */
export function layerNormBackwardKernel(dtype: Dtype = "f32"): KernelSpec {
  return {
    name: "layernorm_backward",
    key: `layernorm_backward`,
    dtype,
    storage: [
      { name: "dy", element: "act_t", access: "read" },
      { name: "xhat", element: "f32", access: "read" },
      { name: "rstd", element: "f32", access: "read" },
      { name: "gamma", element: "f32", access: "read" },
      { name: "ds", element: "act_t", access: "read_write" },
    ],
    uniforms: [
      { name: "rows", type: "u32" },
      { name: "size", type: "u32" },
      { name: "accumulate", type: "u32" },
    ],
    workgroupSize: WORKGROUP,
    body: `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WORKGROUP_SIZE;
  if (row >= params.rows) { return; }
  let base = row * params.size;
  var s1 = 0.0;
  var s2 = 0.0;
  for (var i = 0u; i < params.size; i++) {
    let g = f32(dy[base + i]) * gamma[i];
    s1 += g;
    s2 += g * xhat[base + i];
  }
  let n = f32(params.size);
  let meanG = s1 / n;
  let meanGX = s2 / n;
  let inv = rstd[row];
  for (var i = 0u; i < params.size; i++) {
    let g = f32(dy[base + i]) * gamma[i];
    var v = (g - meanG - xhat[base + i] * meanGX) * inv;
    if (params.accumulate != 0u) { v += f32(ds[base + i]); }
    ds[base + i] = act_t(v);
  }
}
`,
  };
}

/** Record the training forward `out = LN(x + residuals)`, saving `xhat` and `rstd`. */
export function dispatchLayerNormTrain(
  runtime: KernelRuntime,
  args: {
    x: GPUBuffer;
    residuals: GPUBuffer[];
    gamma: GPUBuffer;
    beta: GPUBuffer;
    out: GPUBuffer;
    xhat: GPUBuffer;
    rstd: GPUBuffer;
    rows: number;
    size: number;
    eps: number;
    dtype?: Dtype;
  },
) {
  if (args.residuals.length > 2) throw new Error("LayerNorm takes at most two residual inputs");
  return runtime.dispatch(
    layerNormTrainKernel(args.residuals.length as 0 | 1 | 2, args.dtype),
    [args.x, ...args.residuals, args.gamma, args.beta, args.out, args.xhat, args.rstd],
    [args.rows, args.size, args.eps],
    grid1d(Math.ceil(args.rows / WORKGROUP)),
  );
}

/** Record `ds (+)=` the LayerNorm input gradient. */
export function dispatchLayerNormBackward(
  runtime: KernelRuntime,
  args: {
    dy: GPUBuffer;
    xhat: GPUBuffer;
    rstd: GPUBuffer;
    gamma: GPUBuffer;
    ds: GPUBuffer;
    rows: number;
    size: number;
    accumulate: boolean;
    dtype?: Dtype;
  },
) {
  return runtime.dispatch(
    layerNormBackwardKernel(args.dtype),
    [args.dy, args.xhat, args.rstd, args.gamma, args.ds],
    [args.rows, args.size, args.accumulate ? 1 : 0],
    grid1d(Math.ceil(args.rows / WORKGROUP)),
  );
}
