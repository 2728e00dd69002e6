/**
 * Linear layer GEMM: `C[m, n0 + n] = act(A[m, :] · W[n, :] + bias[n] (+ R[m, n0 + n]))`.
 *
 * Shapes: A is `[M, K]` with row stride `lda` (so the pooler can read the CLS
 * row of each sequence in place), W is the PyTorch `[N, K]` weight, C and R
 * are `[M, ldc]`; a weight chunk writes columns `n0 .. n0 + n`.
 *
 * Design (tuned on llvmpipe, see `benchmarks/lab/gemm_lab.ts` and
 * `benchmarks/lab/load_cost.ts`): llvmpipe runs 8 invocations per SIMD
 * register and turns every storage load into a per-lane loop, about 4 ns per
 * loaded component for 8 lanes, while an FMA costs well under 1 ns even when
 * its accumulator lives on the stack. So the kernel maximises FMAs per loaded
 * component with a large register block and lets the compiler spill:
 * weights are re-laid out once at upload (`linear_weights.ts`) as `[K, N]`
 * padded to whole vec4s; a
 * workgroup is 64 invocations in a row, each owning 3 vec4s of output
 * columns 64 vec4s apart (adjacent invocations read adjacent addresses) and
 * 16 rows, so each step of 4 along K loads 16 vec4s of A and 12 vec4s of W
 * for 768 FMAs (0.15 loads per FMA, against 0.375 for an 8×4 block).
 *
 * On software adapters both operands are read through texel views
 * (`runtime/texels.ts`: read-only storage textures, whose loads llvmpipe
 * vectorises, about 5× cheaper per vec4 than a storage load): weights are
 * uploaded into one, and a dense A is copied into one before the product
 * (`Dispatch.before`, a memcpy on llvmpipe). At the four ALBERT-base shapes
 * on llvmpipe that made the `subgroup` GEMMs 13–22% faster in f16 and
 * 21–46% in f32 (2026-11-23, `benchmarks/lab/matmul_variants.ts f16
 * 1024x768x768,1024x2304x768,1024x3072x768,1024x768x3072
 * subgroup/buffers,subgroup`, and the same for f32).
 *
 * Every lane of that block loads the same rows of A. Where the device has
 * `subgroups` at a fixed size (llvmpipe: 8, one SIMD register), the
 * `subgroup` variant loads each row once per subgroup and hands it to the
 * other lanes with `subgroupBroadcast`, a register shuffle; that frees the
 * block to grow to 64 rows × 2 vec4 groups at 32 lanes (per lane, 8 loads of
 * A and 8 of W per 2048 FMAs) and more than doubles the GEMM's speed on
 * llvmpipe.
 *
 * Weights larger than the device's binding limit are split into column
 * chunks (`linear_weights.ts`), one dispatch each. A chunk with fewer output tiles than the device runs at once
 * (few rows: the pooler, batch 1) may split K instead (`matmul_split_k.ts`).
 * On a hardware GPU, `dispatchMatmul` runs the workgroup-tiled kernel of
 * `matmul_tiled.ts` instead (same bindings and epilogue; `MatmulVariant`).
 */
import { type Activation, ACTIVATION_WGSL } from "./activation.ts";
import { type LinearKernelOptions, linearParts, vectorOutput } from "./_epilogue.ts";
import { assertSubgroupDivides, ownedItemWgsl } from "./_subgroup.ts";
import { blockColumns, type SimdBlock, type SimdKernelOptions, upTo } from "./_block.ts";
import {
  F16_SIMD_BLOCK,
  F16_SUBGROUP_BLOCK,
  f16SubgroupBlock,
  matmulF16Kernel,
} from "./matmul_f16.ts";
import { matmulTiledKernel, TILED_BLOCK_M, TILED_BLOCK_N } from "./matmul_tiled.ts";
import {
  chooseSplits,
  defaultParallelism,
  kRangeWgsl,
  type KSplit,
  REDUCE_THREADS,
  type ScratchPool,
  scratchRole,
  type SplitKOptions,
  splitKReduceKernel,
} from "./matmul_split_k.ts";
import {
  type Dispatch,
  type Dtype,
  dtypeBytes,
  grid1d,
  type KernelRuntime,
  type KernelSpec,
} from "../runtime/kernel.ts";
import { fixedSubgroupSize, isSoftwareAdapter, simdSubgroupSize } from "../runtime/device.ts";
import { fitsTexels, type TexelCopy } from "../runtime/texels.ts";
import type { PreparedLinear } from "./linear_weights.ts";

export type { SimdBlock };

/** `simd`: 16 rows × 3 vec4 groups, 64 lanes (768 columns per workgroup). */
const SIMD_BLOCK: SimdBlock = { rows: 16, threads: 64, groups: 3 };
/**
 * `subgroup`: 64 rows × 2 vec4 groups, 32 lanes (256 columns). Sharing A
 * makes rows cheap, so the block trades W's columns for rows: 8 loads of A
 * and 8 of W per 2048 FMAs per step of 4 along K. On llvmpipe it ran 5–12%
 * faster than 32 × 3 at 64 lanes at every ALBERT-base shape (`gemm_lab.ts`
 * variants 86 and 87).
 */
const SUBGROUP_BLOCK: SimdBlock = { rows: 64, threads: 32, groups: 2 };
/**
 * The `subgroup` block for a product of `m` rows. A skinny one (m ≤ 32: the
 * pooler, batch 1) would spend most of a 64-row block on clamped rows, so it
 * takes only 8, 16 or 32 rows and, having fewer accumulators, 3 vec4 groups
 * at 64 lanes; its 768 columns per workgroup leave few workgroups, which the
 * split-K policy then fills by splitting K (`benchmarks/lab/split_k.ts`).
 */
export function subgroupBlock(m: number): SimdBlock {
  if (m > 32) return SUBGROUP_BLOCK;
  return { rows: m <= 8 ? 8 : m <= 16 ? 16 : 32, threads: 64, groups: 3 };
}
/** f32 weight chunks (`linear_weights.ts`) are whole multiples of this many columns, which every f32 block divides. */
export const F32_CHUNK_COLUMNS = 768;

const quad = [0, 1, 2, 3];

/**
 * Kernel variant: vec4 reads of A need K and lda to be multiples of 4. With
 * `partial` it is split-K's first pass (`matmul_split_k.ts`): workgroup z sums
 * its K range into `partial` with no epilogue (activation and residual unused).
 */
export function matmulKernel(options: SimdKernelOptions): KernelSpec {
  const { activation, residual, vectorA, partial = false, subgroupSize } = options;
  const block = options.block ?? (subgroupSize ? SUBGROUP_BLOCK : SIMD_BLOCK);
  const { rows: blockM, threads } = block;
  if (subgroupSize) {
    assertSubgroupDivides("Linear kernel", subgroupSize, { rows: blockM, lanes: threads });
  }
  const groups = upTo(block.groups);
  // Rows this invocation loads: all of the block's, or with subgroups every
  // subgroupSize-th one starting at its lane (row p · size + lane).
  const own = upTo(subgroupSize ? blockM / subgroupSize : blockM);
  const ownRow = (p: number) => subgroupSize ? `${p * subgroupSize}u + lane` : `${p}u`;
  const rows = upTo(blockM);
  // Row i of the block at this k step, from the lane that loaded it.
  const rowValue = (i: number, loaded: string) =>
    subgroupSize ? ownedItemWgsl(loaded, i, subgroupSize) : `${loaded}${i}`;
  const range = kRangeWgsl(partial, 4);
  const a = vectorA ? "vec4<f32>" : "f32";
  // A[row, k .. k + 3] as a vec4; rows past M were clamped to a valid one.
  const loadA = (p: number) =>
    vectorA
      ? `readA(ar${p} + k / 4u)`
      : `vec4f(readA(ar${p} + k), readA(ar${p} + k + 1u), readA(ar${p} + k + 2u), readA(ar${p} + k + 3u))`;
  const variant = partial ? "partial" : `act=${activation},res=${residual}`;
  const { wgsl, key, ...bindings } = linearParts({ a, w: "vec4<f32>" }, "wStride4", options);
  return {
    // The fused activation is part of the name so profiles tell the FFN's GEMM+GELU apart.
    name: partial ? "matmul.partial" : activation === "none" ? "matmul" : `matmul+${activation}`,
    key:
      `matmul,rows=${blockM},threads=${threads},groups=${block.groups},${variant},va=${vectorA},sg=${
        subgroupSize ?? 0
      }${key}`,
    ...bindings,
    workgroupSize: threads,
    // Naga in Deno 2.9.6 takes subgroup builtins without (and refuses) `enable subgroups;`.
    body: `${ACTIVATION_WGSL}
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u${
      subgroupSize ? ", @builtin(subgroup_invocation_id) lane: u32" : ""
    }) {
  // Workgroups walk row blocks first, so those running one after another read the same
  // columns of W (from cache: +19% at 1024×4096×4096 on llvmpipe, gemm_lab.ts variant 86).
  let row0 = wg.x * ${blockM}u;
  // col4<g> is vec4 column group g of this invocation; out-of-range rows and
  // columns read a valid neighbour and are not stored.
  ${
      groups.map((g) =>
        `let col4${g} = wg.y * ${threads * block.groups}u + ${g * threads}u + lid.x;`
      )
        .join("\n  ")
    }
  ${groups.map((g) => `let c4${g} = min(col4${g}, params.wStride4 - 1u);`).join("\n  ")}
  let lastRow = params.m - 1u;
  ${
      own.map((p) =>
        `let ar${p} = min(row0 + ${ownRow(p)}, lastRow) * params.lda${vectorA ? " / 4u" : ""};`
      ).join("\n  ")
    }
  ${rows.map((i) => groups.map((g) => `var acc${i}_${g} = vec4f(0.0);`).join(" ")).join("\n  ")}
  ${range.setup}let kMain = ${range.main};
  let ws = params.wStride4;
  var k = ${range.begin};
  for (; k < kMain; k += 4u) {
    ${
      groups.map((g) =>
        quad.map((q) => `let w${g}_${q} = readW((k + ${q}u) * ws + c4${g});`).join(" ")
      )
        .join("\n    ")
    }
    ${own.map((p) => `let own${p} = ${loadA(p)};`).join("\n    ")}
    ${
      rows.map((i) =>
        `let a${i} = ${rowValue(i, "own")};
    ${
          groups.map((g) =>
            quad.map((q) => `acc${i}_${g} = fma(vec4f(a${i}[${q}]), w${g}_${q}, acc${i}_${g});`)
              .join(" ")
          ).join("\n    ")
        }`
      ).join("\n    ")
    }
  }${
      vectorA ? "" : `
  for (; k < ${range.end}; k++) {
    ${groups.map((g) => `let wk${g} = readW(k * ws + c4${g});`).join(" ")}
    ${own.map((p) => `let ownk${p} = readA(ar${p} + k);`).join("\n    ")}
    ${
        rows.map((i) =>
          `let ak${i} = vec4f(${rowValue(i, "ownk")});
    ${groups.map((g) => `acc${i}_${g} = fma(ak${i}, wk${g}, acc${i}_${g});`).join(" ")}`
        ).join("\n    ")
      }
  }`
    }
  ${
      rows.map((i) => groups.map((g) => `store(row0 + ${i}u, col4${g}, acc${i}_${g});`).join(" "))
        .join("\n  ")
    }
}

${wgsl}`,
  };
}

/**
 * Which Linear kernel runs: `simd`, register-blocked for a CPU adapter's wide
 * SIMD lanes (`matmulKernel`, `matmulF16Kernel`); `subgroup`, the same with
 * A's rows shared through subgroups (`SimdKernelOptions.subgroupSize`);
 * or `tiled`, staging tiles through workgroup
 * memory as GPUs want (`matmul_tiled.ts`).
 */
export type MatmulVariant = "simd" | "subgroup" | "tiled";

/** Raised when the `subgroup` Linear kernel is asked of a device that cannot run it. */
export class SubgroupUnsupportedError extends Error {
  /** Always `"SubgroupUnsupportedError"`, so `error.name` and stack traces tell it apart. */
  override name = "SubgroupUnsupportedError";
}

/** Block and workgroup sizes of both dtypes' `subgroup` kernels, which the subgroup size divides. */
const SUBGROUP_SHAPES = [
  SUBGROUP_BLOCK.rows,
  SUBGROUP_BLOCK.threads,
  subgroupBlock(1).rows,
  subgroupBlock(1).threads,
  F16_SUBGROUP_BLOCK.rows,
  F16_SUBGROUP_BLOCK.threads,
  f16SubgroupBlock(1).rows,
  f16SubgroupBlock(1).threads,
];

/**
 * The Linear kernel for this device's adapter: on llvmpipe/lavapipe
 * `subgroup` where it can run (about twice `simd`'s speed, see
 * `benchmarks/lab/gemm_lab.ts`) and `simd` otherwise; `tiled` on a GPU.
 */
export function defaultMatmulVariant(device: GPUDevice): MatmulVariant {
  if (!isSoftwareAdapter(device)) return "tiled";
  return simdSubgroupSize(device, SUBGROUP_SHAPES) ? "subgroup" : "simd";
}

const gcd = (a: number, b: number): number => b === 0 ? a : gcd(b, a % b);

/** The subgroup size the `subgroup` variant bakes in, or a clear error. */
function subgroupSizeFor(device: GPUDevice): number {
  const size = fixedSubgroupSize(device, SUBGROUP_SHAPES);
  if (size !== undefined) return size;
  const any = fixedSubgroupSize(device);
  throw new SubgroupUnsupportedError(
    any === undefined
      ? "The subgroup Linear kernel needs the WebGPU feature subgroups with one fixed subgroup size, which this device does not have; use the simd or tiled kernel"
      : `The subgroup Linear kernels need a subgroup size dividing ${
        SUBGROUP_SHAPES.reduce(gcd)
      }; this device's is ${any}`,
  );
}

/** K step (the packed width of A) and output block of a Linear kernel. */
interface Blocking {
  width: number;
  blockM: number;
  blockN: number;
  /** The SIMD family's register block. */
  block?: SimdBlock;
}

/** The blocking of the Linear kernel of a dtype and variant at `m` rows. */
function blocking(dtype: Dtype, variant: MatmulVariant, m: number): Blocking {
  const width = dtype === "f16" ? 8 : 4;
  if (variant === "tiled") return { width, blockM: TILED_BLOCK_M, blockN: TILED_BLOCK_N };
  const [simd, subgroupOf] = dtype === "f16"
    ? [F16_SIMD_BLOCK, f16SubgroupBlock]
    : [SIMD_BLOCK, subgroupBlock];
  const block = variant === "subgroup" ? subgroupOf(m) : simd;
  // A column group is `width` columns in both dtypes: a vec4, or 8 packed f16.
  return { width, blockM: block.rows, blockN: blockColumns(block, width), block };
}

/** The kernel spec of a Linear dispatch (or of split-K's partial pass) with `blocking`'s block. */
function linearKernel(
  device: GPUDevice,
  dtype: Dtype,
  variant: MatmulVariant,
  { block }: Blocking,
  options: LinearKernelOptions,
): KernelSpec {
  if (variant === "tiled") return matmulTiledKernel({ ...options, dtype });
  const subgroupSize = variant === "subgroup" ? subgroupSizeFor(device) : undefined;
  return dtype === "f16"
    ? matmulF16Kernel({ ...options, subgroupSize, block })
    : matmulKernel({ ...options, subgroupSize, block });
}

/**
 * The split-K policy's choice (`matmul_split_k.ts`) for each weight chunk of
 * `linear` at `m` rows; `splits: 1` is the single dispatch.
 */
export function splitKPlan(
  device: GPUDevice,
  args: { linear: PreparedLinear; m: number; splitK?: SplitKOptions; variant?: MatmulVariant },
): KSplit[] {
  const { linear, m } = args;
  const variant = args.variant ?? defaultMatmulVariant(device);
  const { width, blockM, blockN } = blocking(linear.dtype, variant, m);
  const parallelism = args.splitK?.parallelism ?? defaultParallelism(device);
  return linear.chunks.map((chunk) => {
    // One slice of partial sums is `[m, n4]` f32 vec4s; all S slices share one binding.
    const n4 = Math.ceil(chunk.n / width) * width / 4;
    const maxSplits = Math.floor(device.limits.maxStorageBufferBindingSize / (m * n4 * 16));
    const tiles = Math.ceil(chunk.n / blockN) * Math.ceil(m / blockM);
    return chooseSplits({ tiles, k: linear.inFeatures, step: width, maxSplits }, {
      ...args.splitK,
      parallelism,
    });
  });
}

/** Arguments of one linear layer application. */
export interface MatmulArgs {
  linear: PreparedLinear;
  a: GPUBuffer;
  c: GPUBuffer;
  /** Rows of A and C. */
  m: number;
  /** Row stride of A in elements (default K). */
  lda?: number;
  /** Row stride of C and R in elements (default N). */
  ldc?: number;
  activation?: Activation;
  /** Optional residual added before the activation, laid out like C. */
  residual?: GPUBuffer;
  /**
   * Owner of split-K's partial sums (the engine's `ActivationPool`); without
   * one every Linear is one dispatch per weight chunk, as before split-K.
   */
  scratch?: ScratchPool;
  /** Split-K overrides: a forced S, or the parallelism target of the policy. */
  splitK?: SplitKOptions;
  /** The kernel to run (default: `defaultMatmulVariant` of the device). */
  variant?: MatmulVariant;
}

/**
 * Record `C = act(A·Wᵀ + b (+ R))`: per weight chunk one dispatch of the
 * variant's kernel for the Linear's dtype (A, C and R are in that dtype), or,
 * when the split-K policy picks S > 1 (`matmul_split_k.ts`), a partial-sum
 * dispatch over S K ranges and a reduce dispatch.
 */
export async function dispatchMatmul(
  runtime: KernelRuntime,
  args: MatmulArgs,
): Promise<Dispatch[]> {
  const { linear, m, scratch } = args;
  const k = linear.inFeatures;
  const lda = args.lda ?? k;
  const ldc = args.ldc ?? linear.outFeatures;
  const variant = args.variant ?? defaultMatmulVariant(runtime.device);
  // K step (values per packed load of A and per column group of W) and the block.
  const blocks = blocking(linear.dtype, variant, m);
  const { width, blockM, blockN } = blocks;
  const options = {
    activation: args.activation ?? "none",
    residual: args.residual !== undefined,
    vectorA: k % width === 0 && lda % width === 0,
    vectorC: vectorOutput(linear.outFeatures, ldc),
  };
  // Texel-view weights bring A into a texel view too when it is dense and packed:
  // one copy before the first dispatch, into the scratch pool's texture.
  const wTexels = linear.chunks[0].weight instanceof GPUTexture;
  const aBytes = m * k * dtypeBytes(linear.dtype);
  const aTexels = wTexels && options.vectorA && lda === k && scratch?.texels !== undefined &&
    fitsTexels(runtime.device, aBytes);
  const texels = { a: aTexels, w: wTexels };
  let a: GPUBuffer | GPUTexture = args.a;
  let before: TexelCopy | undefined;
  if (aTexels) {
    a = scratch!.texels!("texels.a", aBytes);
    before = { source: args.a, bytes: aBytes, texels: a };
  }
  const spec = linearKernel(runtime.device, linear.dtype, variant, blocks, { ...options, texels });
  const forced = args.splitK?.splits;
  if (forced !== undefined && forced > 1 && !scratch) {
    throw new Error(`Split-K with ${forced} splits needs a scratch pool for its partial sums`);
  }
  const plan = scratch ? splitKPlan(runtime.device, { ...args, variant }) : undefined;
  const dispatches: Dispatch[] = [];
  for (const [index, chunk] of linear.chunks.entries()) {
    const buffers = [a, chunk.weight, linear.bias, args.c];
    if (args.residual) buffers.push(args.residual);
    const groups = Math.ceil(chunk.n / width);
    // The tiled kernel's x walks column blocks; the SIMD kernels' x walks row blocks.
    const [rowBlocks, colBlocks] = [Math.ceil(m / blockM), Math.ceil(chunk.n / blockN)];
    const grid: [number, number, number] = variant === "tiled"
      ? [colBlocks, rowBlocks, 1]
      : [rowBlocks, colBlocks, 1];
    const { splits, range } = plan?.[index] ?? { splits: 1, range: k };
    if (splits === 1) {
      dispatches.push(
        await runtime.dispatch(
          spec,
          buffers,
          [m, chunk.n, k, lda, ldc, chunk.n0, groups],
          grid,
          index === 0 ? before : undefined,
        ),
      );
      continue;
    }
    const n4 = groups * width / 4;
    const floats = splits * m * n4 * 4;
    const partial = scratch!.get(scratchRole(floats), floats, 4);
    dispatches.push(
      await runtime.dispatch(
        linearKernel(runtime.device, linear.dtype, variant, blocks, {
          ...options,
          partial: true,
          texels,
        }),
        [a, chunk.weight, partial],
        [m, k, lda, range, n4, groups],
        [grid[0], grid[1], splits],
        index === 0 ? before : undefined,
      ),
      await runtime.dispatch(
        splitKReduceKernel({ ...options, dtype: linear.dtype }),
        [partial, linear.bias, args.c, ...(args.residual ? [args.residual] : [])],
        [m, chunk.n, ldc, chunk.n0, n4, splits],
        grid1d(Math.ceil(m * n4 / REDUCE_THREADS)),
      ),
    );
  }
  return dispatches;
}
