/**
 * The register block of the SIMD-family Linear kernels (`matmul.ts` in f32,
 * `matmul_f16.ts` in f16): `rows` of C per invocation and per workgroup,
 * `threads` invocations in a row, each owning `groups` column groups (a vec4
 * in f32, 8 packed values in f16) `threads` groups apart, so neighbouring
 * lanes read neighbouring addresses.
 */
export interface SimdBlock {
  rows: number;
  threads: number;
  groups: number;
}
