import type { LinearKernelOptions } from "./_epilogue.ts";

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

/** Options of a SIMD-family Linear kernel (`matmul.ts`, `matmul_f16.ts`): the shared ones and its block. */
export interface SimdKernelOptions extends LinearKernelOptions {
  /**
   * Share A's rows through subgroups of this many lanes (the `subgroup`
   * variant): each lane loads 1/size of the block's rows and
   * `subgroupBroadcast` hands them to the others. Needs the device's
   * `subgroups` feature and a fixed subgroup size dividing the block's rows
   * and lanes.
   */
  subgroupSize?: number;
  /** The register block (default: the kernel's subgroup or plain SIMD block). */
  block?: SimdBlock;
}

/** Columns of C per workgroup of `block`, whose column groups are `groupColumns` wide. */
export function blockColumns(block: SimdBlock, groupColumns: number): number {
  return block.threads * block.groups * groupColumns;
}

/** 0, 1, …, n − 1: the indices a kernel generator unrolls a block over. */
export const upTo = (n: number): number[] => [...Array(n).keys()];
