/**
 * The Linear GEMM for hardware GPUs: `C = act(A·Wᵀ + bias (+ R))` with the
 * operand tiles staged through workgroup (shared) memory, the classic design
 * of GPU GEMMs (webgpu-samples, ONNX Runtime's WebGPU MatMul, tfjs).
 *
 * Why a second kernel: the register-blocked kernels (`matmul.ts`,
 * `matmul_f16.ts`) are shaped for llvmpipe, where workgroup memory buys
 * nothing (`gemm_lab.ts` variants 17, 18, 38) and every invocation reads its
 * operands straight from storage. On a GPU that design re-reads A once per
 * invocation from global memory and holds 192 accumulators per thread. Here a
 * workgroup of 256 invocations (16 × 16) owns a 128 × 128 block of C: per
 * step of `TILE_K` along K it copies a 128 × 16 tile of A and a 16 × 128 tile
 * of W into workgroup memory (each element read from storage once per
 * workgroup, in vec4 loads), then each invocation accumulates its 8 rows × 2
 * vec4 column groups from the tiles. Products and sums are f32 in both
 * dtypes; f16 operands are unpacked while being staged.
 *
 * Bindings, uniforms, the epilogue and the split-K partial pass are the
 * register-blocked kernels', so `dispatchMatmul` swaps one for the other.
 * Which one runs is chosen per adapter (`defaultMatmulVariant`).
 */
import { ACTIVATION_WGSL } from "./activation.ts";
import { type LinearKernelOptions, linearParts } from "./_epilogue.ts";
import { kRangeWgsl } from "./matmul_split_k.ts";
import type { Dtype, KernelSpec } from "../runtime/kernel.ts";

/** Rows and columns of C per workgroup. */
export const TILED_BLOCK_M = 128;
export const TILED_BLOCK_N = 128;
/** K values per staged tile (tiles of A and W take 16 KiB, WebGPU's guaranteed minimum). */
const TILE_K = 16;
/** Invocations per workgroup, as 16 × 16. */
const THREADS = 256;
const SIDE = 16;
/** Rows and vec4 column groups per invocation (groups `SIDE` vec4s apart). */
const ROWS = TILED_BLOCK_M / SIDE;
const GROUPS = TILED_BLOCK_N / SIDE / 4;
/** vec4s per K row of each tile. */
const A_VEC4S = TILED_BLOCK_M / 4;
const W_VEC4S = TILED_BLOCK_N / 4;

const range = (n: number) => [...Array(n).keys()];

/**
 * WGSL that stages A's tile at `kt` into `aTile` (`[TILE_K][BLOCK_M]`, K-major
 * so an invocation reads its rows as vec4s); values past `kLimit` (the end of
 * K or of this split's range) are zero.
 */
function stageA(dtype: Dtype, vectorA: boolean): string {
  // Rows past M read the last row (clamped), as in the register-blocked kernels.
  const row = (r: string) => `min(row0 + ${r}, params.m - 1u) * params.lda`;
  const put = (r: string, kk: string, v: string) =>
    `aTile[(${kk}) * ${A_VEC4S}u + (${r}) / 4u][(${r}) % 4u] = ${v};`;
  if (vectorA && dtype === "f32") {
    // 128 rows × 4 vec4s along K: two per invocation.
    return range(TILED_BLOCK_M * TILE_K / 4 / THREADS).map((e) =>
      `{
    let index = lid.x + ${e * THREADS}u;
    let r = index / 4u;
    let kk = (index % 4u) * 4u;
    var v = vec4f(0.0);
    if (kt + kk < kLimit) { v = readA((${row("r")} + kt + kk) / 4u); }
    ${range(4).map((q) => put("r", `kk + ${q}u`, `v[${q}]`)).join(" ")}
  }`
    ).join("\n  ");
  }
  if (vectorA) {
    // f16 packed 8 along K in a vec4<u32>: 128 rows × 2 loads, one per invocation.
    return `{
    let r = lid.x / 2u;
    let kk = (lid.x % 2u) * 8u;
    var p = vec4u(0u);
    if (kt + kk < kLimit) { p = readA((${row("r")} + kt + kk) / 8u); }
    let v = array<vec2f, 4>(unpack2x16float(p.x), unpack2x16float(p.y), unpack2x16float(p.z), unpack2x16float(p.w));
    ${range(8).map((q) => put("r", `kk + ${q}u`, `v[${q >> 1}][${q & 1}]`)).join(" ")}
  }`;
  }
  // Element by element (K or lda not a multiple of the packed width): eight per invocation.
  return range(TILED_BLOCK_M * TILE_K / THREADS).map((e) =>
    `{
    let index = lid.x + ${e * THREADS}u;
    let r = index / ${TILE_K}u;
    let kk = index % ${TILE_K}u;
    var v = 0.0;
    if (kt + kk < kLimit) { v = f32(readA(${row("r")} + kt + kk)); }
    ${put("r", "kk", "v")}
  }`
  ).join("\n  ");
}

/** WGSL that stages W's tile at `kt` into `wTile` (`[TILE_K][BLOCK_N / 4]` vec4s). */
function stageW(dtype: Dtype): string {
  if (dtype === "f32") {
    // 16 K rows × 32 vec4 column groups: two per invocation.
    return range(TILE_K * W_VEC4S / THREADS).map((e) =>
      `{
    let index = lid.x + ${e * THREADS}u;
    let kk = index / ${W_VEC4S}u;
    let c4 = index % ${W_VEC4S}u;
    var v = vec4f(0.0);
    if (kt + kk < kLimit && col40 + c4 < params.wStride4) { v = readW((kt + kk) * params.wStride4 + col40 + c4); }
    wTile[index] = v;
  }`
    ).join("\n  ");
  }
  // f16: 16 K rows × 16 packed groups of 8 columns: one per invocation.
  return `{
    let kk = lid.x / ${W_VEC4S / 2}u;
    let c8 = lid.x % ${W_VEC4S / 2}u;
    var p = vec4u(0u);
    if (kt + kk < kLimit && col40 / 2u + c8 < params.wStride8) { p = readW((kt + kk) * params.wStride8 + col40 / 2u + c8); }
    wTile[kk * ${W_VEC4S}u + 2u * c8] = vec4f(unpack2x16float(p.x), unpack2x16float(p.y));
    wTile[kk * ${W_VEC4S}u + 2u * c8 + 1u] = vec4f(unpack2x16float(p.z), unpack2x16float(p.w));
  }`;
}

/**
 * Kernel variant of a dtype. `vectorA` needs K and lda to be multiples of 4
 * (f32) or 8 (f16); with `partial` it is split-K's first pass
 * (`matmul_split_k.ts`), summing the K range `wg.z` into `partial`.
 */
export function matmulTiledKernel(options: LinearKernelOptions & { dtype: Dtype }): KernelSpec {
  const { dtype, activation, residual, vectorA, partial = false } = options;
  const half = dtype === "f16";
  const kRange = kRangeWgsl(partial, half ? 8 : 4);
  const a = vectorA ? (half ? "vec4<u32>" : "vec4<f32>") : "act_t";
  const w = half ? "vec4<u32>" : "vec4<f32>";
  const stride = half ? "wStride8" : "wStride4";
  const variant = partial ? "partial" : `act=${activation},res=${residual}`;
  const { wgsl, key, ...bindings } = linearParts({ a, w }, stride, options);
  return {
    name: partial ? "matmul.partial" : activation === "none" ? "matmul" : `matmul+${activation}`,
    key: `matmul-tiled,${variant},va=${vectorA}${key}`,
    dtype,
    ...bindings,
    workgroupSize: THREADS,
    body: `${ACTIVATION_WGSL}
var<workgroup> aTile: array<vec4f, ${TILE_K * A_VEC4S}>;
var<workgroup> wTile: array<vec4f, ${TILE_K * W_VEC4S}>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = wg.y * ${TILED_BLOCK_M}u;
  // First vec4 column group of the workgroup's block.
  let col40 = wg.x * ${W_VEC4S}u;
  let tx = lid.x % ${SIDE}u;
  let ty = lid.x / ${SIDE}u;
  ${
      range(ROWS).map((i) => range(GROUPS).map((g) => `var acc${i}_${g} = vec4f(0.0);`).join(" "))
        .join("\n  ")
    }
  ${kRange.setup}let kLimit = ${kRange.end};
  for (var kt = ${kRange.begin}; kt < kLimit; kt += ${TILE_K}u) {
  ${stageA(dtype, vectorA)}
  ${stageW(dtype)}
  workgroupBarrier();
  for (var kk = 0u; kk < ${TILE_K}u; kk++) {
    ${
      range(ROWS / 4).map((v) => `let a${v} = aTile[kk * ${A_VEC4S}u + ty * ${ROWS / 4}u + ${v}u];`)
        .join(" ")
    }
    ${
      range(GROUPS).map((g) => `let w${g} = wTile[kk * ${W_VEC4S}u + tx + ${g * SIDE}u];`).join(" ")
    }
    ${
      range(ROWS).map((i) =>
        range(GROUPS).map((g) =>
          `acc${i}_${g} = fma(vec4f(a${i >> 2}[${i & 3}]), w${g}, acc${i}_${g});`
        ).join(" ")
      ).join("\n    ")
    }
  }
  workgroupBarrier();
  }
  ${
      range(ROWS).map((i) =>
        range(GROUPS).map((g) =>
          `store(row0 + ty * ${ROWS}u + ${i}u, col40 + tx + ${g * SIDE}u, acc${i}_${g});`
        ).join(" ")
      ).join("\n  ")
    }
}
${wgsl}`,
  };
}
