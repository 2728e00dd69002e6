/**
 * The Linear GEMM with f16 storage: `C = act(A·Wᵀ + bias (+ R))` where A, C
 * and R are f16 activations and W is the f16 weight, with every product and
 * sum in f32 (only storage is half precision).
 *
 * Why it is faster on llvmpipe: a storage load costs about the same per
 * 32-bit component whatever it holds (`benchmarks/lab/load_cost.ts`), so
 * both operands are read as f16 pairs packed in `vec4<u32>`, 8 values per
 * load, and unpacked in registers. W is laid out at upload as `[K, N]`
 * padded to whole groups of 8 columns; A is read 8 values along K at a time
 * when K and lda are multiples of 8 (else element by element). An invocation
 * owns 16 rows × 2 groups of 8 columns (16 groups apart, so neighbouring
 * lanes read neighbouring addresses): each step of 8 along K loads 16 + 16
 * `vec4<u32>` for 2048 FMAs, against 112 loaded components per 768 FMAs in
 * the f32 kernel (`gemm_lab.ts` variants 40–50: 30 GFLOP/s at 1024×768×768
 * against 21 for f32). With subgroups (`subgroupSize`) each lane loads and
 * unpacks six of a 48-row block's rows of A and `subgroupBroadcast` shares
 * them as f32, about 1.5× faster again (`benchmarks/lab/matmul_variants.ts
 * f16`); unpacking before the broadcast rather than after saves 7 of every 8
 * unpacks of A (+2–4% GFLOP/s at the 24-row block of the time).
 */
import { ACTIVATION_WGSL } from "./activation.ts";
import { linearParts } from "./_epilogue.ts";
import { assertSubgroupDivides, ownedItemWgsl } from "./_subgroup.ts";
import { kRangeWgsl } from "./matmul_split_k.ts";
import type { KernelSpec } from "../runtime/kernel.ts";
import { type SimdBlock, type SimdKernelOptions, upTo } from "./_block.ts";

/** Without subgroups: 16 rows × 2 groups of 8 columns, 16 lanes (256 columns per workgroup). */
export const F16_SIMD_BLOCK: SimdBlock = { rows: 16, threads: 16, groups: 2 };
/**
 * With subgroup-shared rows of A: 48 rows × 1 group, 8 lanes (64 columns).
 * Unpacking A before the broadcast made rows cheaper, so the block trades
 * columns for rows. Swept through `gemmBenchmark`'s `subgroup` variant on
 * llvmpipe (2026-11-23, one run each, GFLOP/s at 1024×768×768,
 * 1024×3072×768 and 1024×768×3072): 48 × 1 at 8 lanes 58.6–59.7 /
 * 57.3–58.1 / 65.4–66.1 (two runs), at 32 lanes 57.3 / 58.5 / 66.2, at 16
 * lanes 57.5 / 57.0 / 63.7, at 64 lanes 44.5 / 58.5 / 50.5; 24 × 2 at 16
 * lanes (the block before) 55.4 / 55.9 / 62.7; 40 × 1 and 32 × 1 at 8 lanes
 * 57.6 / 56.6 / 63.7 and 57.8 / 56.6 / 62.5; 56 × 1, 64 × 1 and 24 × 3 below
 * 50.
 */
export const F16_SUBGROUP_BLOCK: SimdBlock = { rows: 48, threads: 8, groups: 1 };
/**
 * The subgroup block at `m` rows: skinny products (m ≤ 16) take 8 or 16 rows
 * × 256 columns, and up to 48 rows the block keeps only whole 8-row
 * subgroup rounds, wasting fewer on clamped rows.
 */
export function f16SubgroupBlock(m: number): SimdBlock {
  if (m <= 16) return { ...F16_SIMD_BLOCK, rows: m <= 8 ? 8 : 16 };
  return { ...F16_SUBGROUP_BLOCK, rows: Math.min(F16_SUBGROUP_BLOCK.rows, Math.ceil(m / 8) * 8) };
}
/** f16 weight chunks are whole multiples of this many columns, which every f16 block divides. */
export const F16_CHUNK_COLUMNS = 256;

const octet = [...Array(8).keys()];

/**
 * Kernel variant: packed reads of A need K and lda to be multiples of 8. With
 * `partial` it is split-K's first pass (`matmul_split_k.ts`): workgroup z sums
 * its K range into `partial` (f32) with no epilogue.
 */
export function matmulF16Kernel(options: SimdKernelOptions): KernelSpec {
  const { activation, residual, vectorA, partial = false, subgroupSize } = options;
  const block = options.block ?? (subgroupSize ? F16_SUBGROUP_BLOCK : F16_SIMD_BLOCK);
  const { rows: blockM, threads } = block;
  if (subgroupSize) {
    assertSubgroupDivides("f16 Linear kernel", subgroupSize, { rows: blockM, lanes: threads });
  }
  const groups = upTo(block.groups);
  const rows = upTo(blockM);
  // Rows this invocation loads: all, or every subgroupSize-th from its lane.
  const own = upTo(subgroupSize ? blockM / subgroupSize : blockM);
  const ownRow = (p: number) => subgroupSize ? `${p * subgroupSize}u + lane` : `${p}u`;
  const range = kRangeWgsl(partial, 8);
  const a = vectorA ? "vec4<u32>" : "act_t";
  const variant = partial ? "partial" : `act=${activation},res=${residual}`;
  // Row i's value of a per-row quantity `name` (loaded as own<p>): this lane's own, or
  // broadcast from the lane that loaded it.
  const rowValue = (i: number, name: string) =>
    subgroupSize ? ownedItemWgsl(name, i, subgroupSize) : `${name}${i}`;
  // This lane's rows of A at k .. k + 7 (rows past M were clamped to a valid one) as two
  // vec4f: unpacked here, once, before any broadcast, or read element by element.
  const loadOwn = (p: number) =>
    vectorA
      ? `let own${p} = readA(ar${p} + k / 8u); let ownlo${p} = lo(own${p}); let ownhi${p} = hi(own${p});`
      : [0, 4].map((o) =>
        `let own${o ? "hi" : "lo"}${p} = vec4f(${
          [0, 1, 2, 3].map((q) => `f32(readA(ar${p} + k + ${o + q}u))`).join(", ")
        });`
      ).join(" ");
  // A[row i, k .. k + 7] as two vec4f.
  const loadA = (i: number) =>
    `let a${i} = array<vec4f, 2>(${rowValue(i, "ownlo")}, ${rowValue(i, "ownhi")});`;
  const { wgsl, key, ...bindings } = linearParts({ a, w: "vec4<u32>" }, "wStride8", options);
  return {
    name: partial ? "matmul.partial" : activation === "none" ? "matmul" : `matmul+${activation}`,
    key:
      `matmul-f16,rows=${blockM},threads=${threads},groups=${block.groups},${variant},va=${vectorA},sg=${
        subgroupSize ?? 0
      }${key}`,
    dtype: "f16",
    ...bindings,
    workgroupSize: threads,
    body: `${ACTIVATION_WGSL}
// Halves 0–3 and 4–7 of 8 packed f16 values.
fn lo(p: vec4u) -> vec4f { return vec4f(unpack2x16float(p.x), unpack2x16float(p.y)); }
fn hi(p: vec4u) -> vec4f { return vec4f(unpack2x16float(p.z), unpack2x16float(p.w)); }

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u${
      subgroupSize ? ", @builtin(subgroup_invocation_id) lane: u32" : ""
    }) {
  // Row blocks first, as in matmul.ts, so consecutive workgroups share W's columns.
  let row0 = wg.x * ${blockM}u;
  ${
      groups.map((g) =>
        `let col8${g} = wg.y * ${threads * block.groups}u + ${g * threads}u + lid.x;`
      ).join("\n  ")
    }
  ${groups.map((g) => `let c8${g} = min(col8${g}, params.wStride8 - 1u);`).join("\n  ")}
  let lastRow = params.m - 1u;
  ${
      own.map((p) =>
        `let ar${p} = min(row0 + ${ownRow(p)}, lastRow) * params.lda${vectorA ? " / 8u" : ""};`
      ).join("\n  ")
    }
  ${
      rows.map((i) =>
        groups.map((g) => `var lo${i}_${g} = vec4f(0.0); var hi${i}_${g} = vec4f(0.0);`).join(" ")
      ).join("\n  ")
    }
  ${range.setup}let kMain = ${range.main};
  let ws = params.wStride8;
  var k = ${range.begin};
  for (; k < kMain; k += 8u) {
    ${own.map(loadOwn).join("\n    ")}
    ${
      groups.map((g) =>
        octet.map((q) =>
          `let p${g}_${q} = readW((k + ${q}u) * ws + c8${g}); let wl${g}_${q} = lo(p${g}_${q}); let wh${g}_${q} = hi(p${g}_${q});`
        ).join("\n    ")
      ).join("\n    ")
    }
    ${
      rows.map((i) =>
        `${loadA(i)}
    ${
          groups.map((g) =>
            octet.map((q) => {
              const av = `vec4f(a${i}[${q >> 2}][${q & 3}])`;
              return `lo${i}_${g} = fma(${av}, wl${g}_${q}, lo${i}_${g}); hi${i}_${g} = fma(${av}, wh${g}_${q}, hi${i}_${g});`;
            }).join("\n    ")
          ).join("\n    ")
        }`
      ).join("\n    ")
    }
  }${
      vectorA ? "" : `
  for (; k < ${range.end}; k++) {
    ${
        groups.map((g) =>
          `let pk${g} = readW(k * ws + c8${g}); let wlk${g} = lo(pk${g}); let whk${g} = hi(pk${g});`
        ).join("\n    ")
      }
    ${own.map((p) => `let ownk${p} = f32(readA(ar${p} + k));`).join(" ")}
    ${
        rows.map((i) =>
          `let ak${i} = vec4f(${rowValue(i, "ownk")});
    ${
            groups.map((g) =>
              `lo${i}_${g} = fma(ak${i}, wlk${g}, lo${i}_${g}); hi${i}_${g} = fma(ak${i}, whk${g}, hi${i}_${g});`
            ).join(" ")
          }`
        ).join("\n    ")
      }
  }`
    }
  ${
      rows.map((i) =>
        groups.map((g) =>
          `store(row0 + ${i}u, col8${g} * 2u, lo${i}_${g}); store(row0 + ${i}u, col8${g} * 2u + 1u, hi${i}_${g});`
        ).join(" ")
      ).join("\n  ")
    }
}
${wgsl}`,
  };
}
