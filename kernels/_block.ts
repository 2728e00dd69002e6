/**
 * The register block of the SIMD-family GEMM kernels (`matmul.ts` in f32,
 * `matmul_f16.ts` in f16, `gemm.ts` for training): `rows` of C per
 * invocation and per workgroup, `threads` invocations in a row, each owning
 * `groups` column groups (a vec4 in f32, 8 packed values in f16) `threads`
 * groups apart, so neighbouring lanes read neighbouring addresses.
 */
export interface SimdBlock {
  rows: number;
  threads: number;
  groups: number;
}

/** Columns of C per workgroup of `block`, whose column groups are `groupColumns` wide. */
export function blockColumns(block: SimdBlock, groupColumns: number): number {
  return block.threads * block.groups * groupColumns;
}

/** 0, 1, …, n − 1: the indices a kernel generator unrolls a block over. */
export const upTo = (n: number): number[] => [...Array(n).keys()];
