/**
 * General GEMM for training: `C = op(A)·op(B) (+ bias) (+ C)`. Training needs
 * all three products of a Linear layer on weights that change every step, so
 * weights stay in PyTorch `[out, in]` layout and each product gets the
 * operand layout it reads best:
 *
 *   forward   Z  = X·Wᵀ (+ b)   "nt": A = X [M,K],  B = W [N,K]
 *   input     dX = dZ·W         "nn": A = dZ [M,N], B = W [N,K]
 *   weight    dW += dZᵀ·X       "tn": A = dZ read transposed, B = X, accumulating
 *
 * Design (the inference kernel's, `matmul.ts`, tuned on llvmpipe where every
 * storage load costs per lane and workgroup barriers are expensive): no
 * workgroup memory; each invocation owns a register block of 16 rows × 3
 * vec4 column groups (64 vec4s apart, so neighbouring lanes read neighbouring
 * addresses), and each step of 4 along the reduction loads 16 vec4 of A and
 * 12 of B for 768 FMAs. On llvmpipe, subgroups (8 lanes) share A's loads,
 * and the block becomes 64 rows × 2 vec4 groups at 32 lanes: each lane loads
 * 8 of the block's 64 vec4s of A and `subgroupBroadcast` hands them round,
 * so a step loads 8 + 8 vec4s for 2048 FMAs (`benchmarks/lab/train_gemm.ts`:
 * up to 1.44× the 32 × 3 block's speed at 128 rows). "nt" loads B along the
 * reduction and
 * transposes the 4×4 fragment in registers; "tn" loads A along the rows.
 * Operands whose contiguous dimension is not vec4-aligned (a 2-label
 * classifier) are read with scalar loads. Every operand has an element
 * offset and a leading dimension, so Q, K and V use column slices of one
 * `[rows, 3W]` buffer and the pooler reads the CLS rows in place.
 */
import type { Dispatch, Dtype, KernelRuntime, KernelSpec } from "../runtime/kernel.ts";
import { simdSubgroupSize } from "../runtime/device.ts";
import { assertSubgroupDivides, ownedItemWgsl } from "./_subgroup.ts";
import { blockColumns, type SimdBlock, upTo } from "./_block.ts";

/** Without subgroups: 16 rows × 3 vec4 groups, 64 lanes. */
const BLOCK: SimdBlock = { rows: 16, threads: 64, groups: 3 };
/** With subgroups sharing A: 64 rows × 2 vec4 groups, 32 lanes (as `matmul.ts`'s `subgroup`). */
const SUBGROUP_BLOCK: SimdBlock = { rows: 64, threads: 32, groups: 2 };

/** Which operand is read transposed. */
export type GemmLayout = "nn" | "nt" | "tn";

const quad = [0, 1, 2, 3];

/** Storage of each operand (f16 training keeps activations in f16 and parameters in f32). */
export interface GemmDtypes {
  a: Dtype;
  b: Dtype;
  c: Dtype;
}

const F32_OPERANDS: GemmDtypes = { a: "f32", b: "f32", c: "f32" };

/**
 * Kernel variant. `vecA`/`vecB`: the operand's contiguous dimension allows
 * vec4 loads. Operands are converted to f32 on load and C back on store, so
 * the arithmetic is f32 whatever the storage.
 */
export function gemmKernel(options: {
  layout: GemmLayout;
  vecA: boolean;
  vecB: boolean;
  /**
   * C (and the bias) read and written as vec4s: N, ldc and C's offset are
   * multiples of 4. On llvmpipe each storage access is a loop over the
   * lanes, and the weight gradient's short reduction (the batch's rows)
   * leaves the epilogue a large share of the work.
   */
  vecC?: boolean;
  bias: boolean;
  accumulate: boolean;
  dtypes?: GemmDtypes;
  /**
   * Share A through subgroups of this many lanes: each lane loads 1/size of
   * the block's vec4s of A and `subgroupBroadcast` hands them to the others
   * (as the inference kernel's `subgroup` variant); the block becomes `SUBGROUP_BLOCK`.
   */
  subgroupSize?: number;
}): KernelSpec {
  const { layout, vecA, vecB, bias, accumulate, subgroupSize: sg, vecC = false } = options;
  const dtypes = options.dtypes ?? F32_OPERANDS;
  const block = sg ? SUBGROUP_BLOCK : BLOCK;
  const { rows: blockM, threads } = block;
  const groups = upTo(block.groups);
  if (sg) assertSubgroupDivides("GEMM", sg, { rows: blockM, lanes: threads });
  const rows = upTo(blockM);
  // Four aligned values per load: vec4<f32>, or four f16 packed in a vec2<u32> (half the
  // loaded components of a vec4<f16>, and llvmpipe's loads cost per component).
  const vecElement = (dtype: Dtype) => dtype === "f16" ? "vec2<u32>" : "vec4<f32>";
  const storage: KernelSpec["storage"] = [
    { name: "a", element: vecA ? vecElement(dtypes.a) : dtypes.a, access: "read" },
    { name: "b", element: vecB ? vecElement(dtypes.b) : dtypes.b, access: "read" },
    { name: "c", element: vecC ? `vec4<${dtypes.c}>` : dtypes.c, access: "read_write" },
  ];
  if (bias) storage.push({ name: "bias", element: vecC ? "vec4<f32>" : "f32", access: "read" });
  const packed = { a: dtypes.a === "f16", b: dtypes.b === "f16" };
  // Four consecutive elements from element index `e` of an operand, as a vec4f.
  const load4 = (name: "a" | "b", vec: boolean, e: string) =>
    vec
      ? (packed[name] ? `unpack4(${name}[(${e}) / 4u])` : `${name}[(${e}) / 4u]`)
      : `vec4f(${quad.map((q) => `f32(${name}[${e} + ${q}u])`).join(", ")})`;
  const load1 = (name: "a" | "b", vec: boolean, e: string) =>
    vec ? `${load4(name, true, e)}[(${e}) % 4u]` : `f32(${name}[${e}])`;

  // Main loop body: `aAt(r, kk)` is row r at reduction k + kk; w{g}_{kk} a vec4 of group g's columns.
  let loads: string;
  let aAt: (r: number, kk: number) => string;
  // A's vec4s of one step: row r along k ("nn", "nt"), or rows 4p .. 4p + 3 at k + kk ("tn").
  // With subgroups, vec4 u is loaded by lane u % sg (as its own<u / sg>) and broadcast.
  const quads = blockM / 4;
  const shared = (u: number) => ownedItemWgsl("own", u, sg!);
  const owned = upTo(sg ? blockM / sg : 0);
  if (layout === "tn") {
    // A stored [K, M]: rows i0 .. i0 + blockM - 1 are contiguous for each k (clamped in vec4 steps).
    loads = sg
      ? owned.map((p) =>
        `let own${p} = ${load4("a", vecA, `params.aOff + (k + tk${p}) * params.lda + ti${p}`)};`
      ).join(" ") + "\n    " +
        quad.map((kk) =>
          upTo(quads).map((p) => `let a${kk}_${p} = ${shared(kk * quads + p)};`).join(" ")
        ).join("\n    ")
      : quad.map((kk) =>
        upTo(quads).map((p) =>
          `let a${kk}_${p} = ${
            load4("a", vecA, `params.aOff + (k + ${kk}u) * params.lda + ai${p}`)
          };`
        ).join(" ")
      ).join("\n    ");
    aAt = (r, kk) => `a${kk}_${r >> 2}[${r % 4}]`;
  } else {
    loads = sg
      ? owned.map((p) => `let own${p} = ${load4("a", vecA, `ar${p} + k`)};`).join(" ") +
        "\n    " + rows.map((r) => `let a${r} = ${shared(r)};`).join("\n    ")
      : rows.map((r) => `let a${r} = ${load4("a", vecA, `ar${r} + k`)};`).join("\n    ");
    aAt = (r, kk) => `a${r}[${kk}]`;
  }
  for (const g of groups) {
    if (layout === "nt") {
      // B stored [N, K]: load 4 columns along the reduction, then transpose the 4×4 fragment.
      loads += "\n    " +
        quad.map((q) => `let bt${g}_${q} = ${load4("b", vecB, `bc${g}_${q} + k`)};`).join(" ");
      loads += "\n    " +
        quad.map((kk) =>
          `let w${g}_${kk} = vec4f(${quad.map((q) => `bt${g}_${q}[${kk}]`).join(", ")});`
        ).join(" ");
    } else {
      loads += "\n    " +
        quad.map((kk) =>
          `let w${g}_${kk} = ${
            load4("b", vecB, `params.bOff + (k + ${kk}u) * params.ldb + jb${g}`)
          };`
        ).join(" ");
    }
  }
  const fmas = rows.map((r) =>
    groups.map((g) =>
      quad.map((kk) => `acc${r}_${g} = fma(vec4f(${aAt(r, kk)}), w${g}_${kk}, acc${r}_${g});`)
        .join(" ")
    ).join("\n    ")
  ).join("\n    ");

  // Tail: one reduction index at a time, scalar loads (every row directly, even with subgroups).
  const tailA = (r: number) =>
    layout === "tn"
      ? load1("a", vecA, `params.aOff + k * params.lda + min(i0 + ${r}u, lastRow)`)
      : load1("a", vecA, `${sg ? `rowA(i0 + ${r}u)` : `ar${r}`} + k`);
  const tailW = (g: number) =>
    layout === "nt"
      ? `vec4f(${quad.map((q) => load1("b", vecB, `bc${g}_${q} + k`)).join(", ")})`
      : `vec4f(${
        quad.map((q) =>
          load1("b", vecB, `params.bOff + k * params.ldb + min(j${g} + ${q}u, lastCol)`)
        ).join(", ")
      })`;

  // Rows and columns past the edge read a valid neighbour and are not stored; vec4 reads are
  // clamped to the last whole vec4 (the dimension is a multiple of 4 when they are used).
  const setup = [
    groups.map((g) =>
      `let j${g} = (wg.x * ${threads * block.groups}u + ${g * threads}u + lid.x) * 4u;`
    )
      .join("\n  "),
    // Where each invocation reads A: its rows (or, with subgroups, the vec4s it loads for all).
    layout === "tn"
      ? sg
        ? owned.map((p) =>
          `let tk${p} = (${p * sg}u + lane) / ${quads}u; let ti${p} = min(i0 + 4u * ((${
            p * sg
          }u + lane) % ${quads}u), lastRow & ~3u);`
        ).join("\n  ")
        : upTo(quads).map((p) => `let ai${p} = min(i0 + ${4 * p}u, lastRow & ~3u);`).join("\n  ")
      : sg
      ? owned.map((p) => `let ar${p} = rowA(i0 + ${p * sg}u + lane);`).join("\n  ")
      : rows.map((r) => `let ar${r} = rowA(i0 + ${r}u);`).join("\n  "),
    layout === "nt"
      ? groups.map((g) =>
        quad.map((q) => `let bc${g}_${q} = params.bOff + min(j${g} + ${q}u, lastCol) * params.ldb;`)
          .join(" ")
      ).join("\n  ")
      : groups.map((g) => `let jb${g} = min(j${g}, lastCol & ~3u);`).join("\n  "),
  ].join("\n  ");

  return {
    name: "gemm",
    key:
      `gemm,${layout},rows=${blockM},threads=${threads},groups=${block.groups},va=${vecA},vb=${vecB},vc=${vecC},bias=${bias},acc=${accumulate},${dtypes.a}${dtypes.b}${dtypes.c},sg=${
        sg ?? 0
      }`,
    dtype: Object.values(dtypes).includes("f16") ? "f16" : "f32",
    storage,
    uniforms: [
      { name: "m", type: "u32" },
      { name: "n", type: "u32" },
      { name: "k", type: "u32" },
      { name: "lda", type: "u32" },
      { name: "ldb", type: "u32" },
      { name: "ldc", type: "u32" },
      { name: "aOff", type: "u32" },
      { name: "bOff", type: "u32" },
      { name: "cOff", type: "u32" },
    ],
    workgroupSize: threads,
    body: /* wgsl */ `
@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u${
      sg ? ", @builtin(subgroup_invocation_id) lane: u32" : ""
    }) {
  let i0 = wg.y * ${blockM}u;
  let lastRow = params.m - 1u;
  let lastCol = params.n - 1u;
  ${setup}
  // (Subgroup broadcasts need every lane, so with subgroups idle lanes run on and store nothing.)
  ${sg ? "" : "if (j0 >= params.n) { return; }"}
  ${rows.map((r) => groups.map((g) => `var acc${r}_${g} = vec4f(0.0);`).join(" ")).join("\n  ")}
  let kMain = params.k & ~3u;
  var k = 0u;
  for (; k < kMain; k += 4u) {
    ${loads}
    ${fmas}
  }
  for (; k < params.k; k++) {
    ${groups.map((g) => `let w${g} = ${tailW(g)};`).join("\n    ")}
    ${
      rows.map((r) =>
        `let t${r} = vec4f(${tailA(r)}); ${
          groups.map((g) => `acc${r}_${g} = fma(t${r}, w${g}, acc${r}_${g});`).join(" ")
        }`
      ).join("\n    ")
    }
  }
  ${
      rows.map((r) => groups.map((g) => `store(i0 + ${r}u, j${g}, acc${r}_${g});`).join(" ")).join(
        "\n  ",
      )
    }
}

fn unpack4(v: vec2<u32>) -> vec4f { return vec4f(unpack2x16float(v.x), unpack2x16float(v.y)); }

// Element index of row i of A ("nn", "nt"), clamped to the last row.
fn rowA(i: u32) -> u32 { return params.aOff + min(i, params.m - 1u) * params.lda; }

${
      vecC
        ? `fn store(i: u32, j0: u32, acc: vec4f) {
  if (i >= params.m || j0 >= params.n) { return; }
  let index = (params.cOff + i * params.ldc + j0) / 4u;
  var v = acc;
  ${bias ? "v += bias[j0 / 4u];" : ""}
  ${accumulate ? "v += vec4f(c[index]);" : ""}
  c[index] = vec4<${dtypes.c}>(v);
}`
        : `fn store(i: u32, j0: u32, acc: vec4f) {
  if (i >= params.m) { return; }
  for (var q = 0u; q < 4u; q++) {
    let j = j0 + q;
    if (j >= params.n) { return; }
    let index = params.cOff + i * params.ldc + j;
    var v = acc[q];
    ${bias ? "v += bias[j];" : ""}
    ${accumulate ? "v += f32(c[index]);" : ""}
    c[index] = ${dtypes.c}(v);
  }
}`
    }
`,
  };
}

/** One operand: a buffer, an element offset and a leading dimension. */
export interface GemmOperand {
  buffer: GPUBuffer;
  offset?: number;
  /** Elements between consecutive rows as stored (default: the stored row length). */
  ld?: number;
  /** Read the stored matrix transposed. */
  transpose?: boolean;
}

/**
 * Record `C[m, n] = op(A)[m, k] · op(B)[k, n] (+ bias[n]) (+ C)`.
 * A stored as `[m, k]` (or `[k, m]` transposed), B as `[k, n]` (or `[n, k]`).
 */
export function dispatchGemm(
  runtime: KernelRuntime,
  args: {
    a: GemmOperand;
    b: GemmOperand;
    c: { buffer: GPUBuffer; offset?: number; ld?: number };
    m: number;
    n: number;
    k: number;
    bias?: GPUBuffer;
    accumulate?: boolean;
    /** Storage of A, B and C (default all f32). */
    dtypes?: GemmDtypes;
    /**
     * Share A through subgroups (default: on a software adapter whose
     * subgroups run at a fixed size dividing the block, `simdSubgroupSize`;
     * there it about doubles the speed).
     */
    subgroups?: boolean;
  },
): Promise<Dispatch> {
  const { a, b, c, m, n, k } = args;
  const transA = a.transpose ?? false, transB = b.transpose ?? false;
  if (transA && transB) throw new Error("gemm: at most one operand can be transposed");
  const layout: GemmLayout = transA ? "tn" : transB ? "nt" : "nn";
  const lda = a.ld ?? (transA ? m : k), ldb = b.ld ?? (transB ? k : n);
  const aOff = a.offset ?? 0, bOff = b.offset ?? 0;
  // vec4 loads run along each operand's contiguous dimension: K for A unless transposed (then M),
  // N for B unless transposed (then K). The rows must start on vec4 boundaries.
  const aligned = (ld: number, offset: number, contiguous: number) =>
    ld % 4 === 0 && offset % 4 === 0 && contiguous % 4 === 0;
  const subgroupSize = args.subgroups === false
    ? undefined
    : simdSubgroupSize(runtime.device, [SUBGROUP_BLOCK.rows, SUBGROUP_BLOCK.threads]);
  if (args.subgroups && subgroupSize === undefined) {
    throw new Error("gemm: this device cannot share A through subgroups");
  }
  const ldc = c.ld ?? n;
  const spec = gemmKernel({
    layout,
    vecA: aligned(lda, aOff, transA ? m : k),
    vecB: aligned(ldb, bOff, transB ? k : n),
    vecC: aligned(ldc, c.offset ?? 0, n),
    bias: args.bias !== undefined,
    accumulate: args.accumulate ?? false,
    dtypes: args.dtypes,
    subgroupSize,
  });
  const buffers = [a.buffer, b.buffer, c.buffer];
  if (args.bias) buffers.push(args.bias);
  const block = subgroupSize ? SUBGROUP_BLOCK : BLOCK;
  return runtime.dispatch(
    spec,
    buffers,
    [m, n, k, lda, ldb, ldc, aOff, bOff, c.offset ?? 0],
    [Math.ceil(n / blockColumns(block, 4)), Math.ceil(m / block.rows), 1],
  );
}
