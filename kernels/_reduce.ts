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
 * `ln_input(base, i)`, `i < params.size`, to `out[base + i]` with `gamma`,
 * `beta` and `params.eps`. The kernel defines `ln_input` (its summed inputs,
 * in f32); the row is re-read in each pass rather than staged in `out`, so an
 * f16 `out` never holds the un-normalised sum. Mean first, then the variance
 * of the centred values (more accurate than E[x²] − E[x]²). Needs
 * `workgroupSumWgsl` and bindings `out`, `gamma`, `beta`.
 */
export const LAYER_NORM_ROW_WGSL = /* wgsl */ `
fn layer_norm_row(base: u32, lid: u32) {
  var s = 0.0;
  for (var i = lid; i < params.size; i += WORKGROUP_SIZE) { s += ln_input(base, i); }
  let mean = workgroup_sum(s, lid) / f32(params.size);
  var q = 0.0;
  for (var i = lid; i < params.size; i += WORKGROUP_SIZE) {
    let d = ln_input(base, i) - mean;
    q += d * d;
  }
  let inv = inverseSqrt(workgroup_sum(q, lid) / f32(params.size) + params.eps);
  for (var i = lid; i < params.size; i += WORKGROUP_SIZE) {
    out[base + i] = act_t((ln_input(base, i) - mean) * inv * gamma[i] + beta[i]);
  }
}
`;
