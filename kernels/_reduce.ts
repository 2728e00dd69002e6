/** WGSL workgroup sum shared by the row-wise kernels (LayerNorm, embeddings). */

/** Declares `workgroup_sum(value, lid)`: the sum over the workgroup, returned to every thread. */
export function workgroupSumWgsl(workgroupSize: number): string {
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
