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
 *
 * With `cached` (`{ size, workgroupSize }`, at most `LAYER_NORM_CACHED`
 * values per invocation) the row length is baked in and each invocation
 * reads its values once into registers for all three passes, a third of the
 * loads.
 */
export function layerNormRowWgsl(
  width: 1 | 4,
  cached?: { size: number; workgroupSize: number },
): string {
  const [vec, total, out] = width === 4
    ? ["vec4f", "dot(s, vec4f(1.0))", "vec4<act_t>"]
    : ["f32", "s", "act_t"];
  // The squared length of a centred value (a vec4's, summed over its lanes).
  const squareOf = (d: string) => width === 4 ? `dot(${d}, ${d})` : `${d} * ${d}`;
  if (cached) {
    const n = Math.ceil(cached.size / width);
    const slots = [...Array(Math.ceil(n / cached.workgroupSize)).keys()];
    const at = (j: number) => `lid + ${j * cached.workgroupSize}u`;
    // The last slot may run past the row: it reads a valid element and adds nothing.
    const whole = (j: number) => (j + 1) * cached.workgroupSize <= n;
    const guard = (j: number, value: string, zero: string) =>
      whole(j) ? value : `select(${zero}, ${value}, ${at(j)} < ${n}u)`;
    return /* wgsl */ `
fn layer_norm_row(base: u32, lid: u32) {
  ${slots.map((j) => `let x${j} = ln_input(base, min(${at(j)}, ${n - 1}u));`).join("\n  ")}
  let s = ${slots.map((j) => guard(j, `x${j}`, `${vec}(0.0)`)).join(" + ")};
  let mean = workgroup_sum(${total}, lid) / ${cached.size}.0;
  ${slots.map((j) => `let d${j} = x${j} - mean;`).join(" ")}
  let q = ${slots.map((j) => guard(j, squareOf(`d${j}`), "0.0")).join(" + ")};
  let inv = inverseSqrt(workgroup_sum(q, lid) / ${cached.size}.0 + params.eps);
  ${
      slots.map((j) => {
        const store = `out[base + ${at(j)}] = ${out}(d${j} * inv * gamma[${at(j)}] + beta[${
          at(j)
        }]);`;
        return whole(j) ? store : `if (${at(j)} < ${n}u) { ${store} }`;
      }).join("\n  ")
    }
}
`;
  }
  return /* wgsl */ `
fn layer_norm_row(base: u32, lid: u32) {
  let n = params.size / ${width}u;
  var s = ${vec}(0.0);
  for (var i = lid; i < n; i += WORKGROUP_SIZE) { s += ln_input(base, i); }
  let mean = workgroup_sum(${total}, lid) / f32(params.size);
  var q = 0.0;
  for (var i = lid; i < n; i += WORKGROUP_SIZE) {
    let d = ln_input(base, i) - mean;
    q += ${squareOf("d")};
  }
  let inv = inverseSqrt(workgroup_sum(q, lid) / f32(params.size) + params.eps);
  for (var i = lid; i < n; i += WORKGROUP_SIZE) {
    out[base + i] = ${out}((ln_input(base, i) - mean) * inv * gamma[i] + beta[i]);
  }
}
`;
}

/** Most values per invocation `layerNormRowWgsl` keeps in registers (`cached`). */
export const LAYER_NORM_CACHED = 32;

/** `layerNormRowWgsl` over scalars. */
export const LAYER_NORM_ROW_WGSL = layerNormRowWgsl(1);
