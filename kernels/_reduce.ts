/** WGSL shared by the row-wise kernels (LayerNorm, embeddings): workgroup sum and in-place LayerNorm. */

/**
 * Declares `workgroup_sum(value, lid)`: the sum over the workgroup, returned
 * to every thread. With `oneSubgroup` the workgroup is exactly one subgroup
 * and the sum is `subgroupAdd`, a register reduction with no barrier (on
 * llvmpipe each barrier switches between the workgroup's SIMD batches).
 */
export function workgroupSumWgsl(workgroupSize: number, oneSubgroup = false): string {
  if (oneSubgroup) {
    return /* wgsl */ `
fn workgroup_sum(value: f32, lid: u32) -> f32 { return subgroupAdd(value); }
`;
  }
  return /* wgsl */ `
var<workgroup> partial: array<f32, ${workgroupSize}>;
fn workgroup_sum(value: f32, lid: u32) -> f32 {
  partial[lid] = value;
  workgroupBarrier();
  for (var stride = ${workgroupSize / 2}u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { partial[lid] += partial[lid + stride]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
`;
}

/**
 * Declares `layer_norm_row(base, lid)`: writes the LayerNorm of row
 * `ln_input(base, i)`, `i < params.size / width`, to `out[base + i]` with
 * `gamma`, `beta` and `params.eps`. The kernel defines `ln_input` (its summed
 * inputs, in f32: an f32, or with `width` 4 a vec4f, `base` and `i` then
 * counting vec4s); the row is re-read in each pass rather than staged in
 * `out`, so an f16 `out` never holds the un-normalised sum. Mean first, then
 * the variance of the centred values (more accurate than E[x²] − E[x]²).
 * Needs `workgroupSumWgsl` and bindings `out`, `gamma`, `beta` (of vec4s
 * with `width` 4: on llvmpipe each load is a loop over the lanes, so a vec4
 * load costs little more than a scalar one).
 */
export function layerNormRowWgsl(width: 1 | 4): string {
  const [vec, total, square, out] = width === 4
    ? ["vec4f", "dot(s, vec4f(1.0))", "dot(d, d)", "vec4<act_t>"]
    : ["f32", "s", "d * d", "act_t"];
  return /* wgsl */ `
fn layer_norm_row(base: u32, lid: u32) {
  let n = params.size / ${width}u;
  var s = ${vec}(0.0);
  for (var i = lid; i < n; i += WORKGROUP_SIZE) { s += ln_input(base, i); }
  let mean = workgroup_sum(${total}, lid) / f32(params.size);
  var q = 0.0;
  for (var i = lid; i < n; i += WORKGROUP_SIZE) {
    let d = ln_input(base, i) - mean;
    q += ${square};
  }
  let inv = inverseSqrt(workgroup_sum(q, lid) / f32(params.size) + params.eps);
  for (var i = lid; i < n; i += WORKGROUP_SIZE) {
    out[base + i] = ${out}((ln_input(base, i) - mean) * inv * gamma[i] + beta[i]);
  }
}
`;
}

/** `layerNormRowWgsl` over scalars. */
export const LAYER_NORM_ROW_WGSL = layerNormRowWgsl(1);
