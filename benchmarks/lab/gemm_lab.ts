/**
 * GEMM lab (llm.c `dev/cuda` style): numbered kernel variants for
 * `C[M, N] = A[M, K] · W[N, K]ᵀ`, each checked against a CPU reference and
 * then timed. Shapes are baked in as WGSL constants; M, N are multiples of the
 * block, K of 4. Run: `deno run -A benchmarks/lab/gemm_lab.ts [variant...]`.
 *
 * Findings on llvmpipe (Mesa 22.3): every storage-buffer load, uniform address
 * or not, becomes a per-lane loop with a bounds check (`load_cost.ts`: about
 * 4 ns per component for 8 lanes), so speed follows FMAs per loaded
 * component, and a register block far past the 32 vector registers still wins
 * because a spilled accumulator costs a stack load and store, not a gather.
 * Variants with `a=ubo`, `wUbo` or `a=none` wrap or skip loads: they are
 * timing probes only and fail the check by design (`a=none` binds no A, so its
 * pipeline does not even run). Variants whose block does not divide
 * 1024×768 skip rows or columns and fail the check too.
 *
 * 1024×768×768, GFLOP/s (median of 3): 4 (8 rows × 1 vec4) 12.8; 32 (8 × 3
 * vec4 groups) 17.0; 31 (16 × 3) 21.1, now `kernels/matmul.ts`; 34 (32 × 3)
 * 21.6. With W as packed f16 pairs (`half8`, one vec4<u32> = 8 columns):
 * 16.4 at 4 rows, 19.3 at 8, 22.3 at 32, so halving W's loads only helps
 * while W's loads dominate. With A packed the same way too (`halfAW`,
 * variants 40–50, 8 values along K per load): 27.3 at 16 rows × 8 columns,
 * 30.5 at 16 rows × 2×8 columns, now `kernels/matmul_f16.ts`, since both
 * operands' loaded components halve. A uniform buffer read at constant offsets
 * (lanes = rows, one dispatch per 16-column chunk) compiled to scalar loads
 * with a bounds check each and ran at 11.7.
 *
 * Also tried (2026-11-22, same shape): unrolling K two or four steps per loop
 * iteration (35, 36: 20.2 and 17.5 against 21.0 for 31), A staged through
 * workgroup memory at the 16 × 3 block (38: 18.6), and llvmpipe's
 * `LP_NATIVE_VECTOR_WIDTH=512` (no faster, in the GEMM or in `alu_ceiling.ts`).
 * More column groups per lane on narrower workgroups, which load fewer W
 * components per FMA on paper (51–55, one run, 31 at 23.6): 16 × 6 at 32 lanes
 * 17.9, 8 × 6 14.3, 16 × 3 at 32 lanes 23.3, 8 × 12 at 16 lanes 22.1, 4 × 12
 * 15.2; so loads per FMA alone do not predict the speed once the block spills.
 *
 * Subgroups (2026-11-23): Deno's llvmpipe device takes the `subgroups`
 * feature (subgroup size 8) though the adapter does not list it, and
 * `subgroupBroadcast` is a register shuffle there. `sgBlock` (60–79) loads
 * each row of A once per subgroup and broadcasts it: 16 × 3 30.3 (31: 21.8),
 * 32 × 3 35.4–36.0, now the `subgroup` variant of `kernels/matmul.ts`; 64 × 2
 * at 32 lanes 37.8, 64 × 3 32.8, 128 × 1 34.5; at 1024×3072×768 and
 * 1024×768×3072, 32 × 3 runs at 44.1 and 48.4 (31: 23.0 and 23.3). Probes
 * 77–79 (A's, W's or both loads replaced by register values) split 32 × 3's
 * 33.6 ms: about 11 of it is the submit's fixed cost, 1.7 A's loads, 7.4 W's
 * and 12.3 the FMAs with their spills (about 98 GFLOP/s, the ALU ceiling).
 * Staging W through workgroup memory on top (`sgShared`, 80–85: the 8
 * subgroups of a workgroup take different rows and the same columns, so each
 * W vec4 is loaded once per workgroup) was slower: 30.8 and 31.6 at 32 × 3
 * with tiles of 4 and 8 steps, 24.4 at 16 × 3, against 35.6 for 61.
 * Row-first grids (86–97, 2026-11-23, one run each): 64 × 2 at 32 lanes (87)
 * beat 32 × 3 at 64 (86) at every ALBERT-base shape, 38.8 against 36.1 at
 * 1024×768×768, 48.8/46.6 at 1024×3072×768, 54.0/49.3 at 1024×768×3072 and
 * 55.0/49.3 at 4096×768×768, so it is now the `subgroup` variant. At
 * 1024×768×3072 the others ran at 42.2 (64 × 3, 32 lanes), 37.4 (64 × 3, 16),
 * 49.6 (64 × 2, 16), 47.3 (128 × 1, 32), 39.4 (128 × 2, 32), 42.3 (64 × 1,
 * 32) and 45.2 (64 × 4, 16).
 *
 * Machine code (2026-11-23): the `subgroup` kernel's main loop, read with gdb
 * from a running 4096³ product (llvmpipe's `GALLIVM_DEBUG=asm` is not in
 * Debian's build), holds 7,926 instructions per step of 4 along K for 2,048
 * FMAs: 2,048 `vmulps` and 2,048 `vaddps` (llvmpipe lowers `fma` to a
 * multiply and an add), 1,805 stack moves (the spilled accumulators and W),
 * 516 `vblendvps` (each loop-carried accumulator is written under the loop's
 * execution mask) and 208 `vpermps` (the broadcasts of A). Each of the 16
 * vec4 loads is a loop over the 8 lanes with a bounds check and a masked
 * broadcast per component, about 34 instructions per lane, so loads execute
 * some 4,300 instructions a step, as many as the arithmetic. Two steps of 4
 * per iteration (fewer blends and accumulator spills per FMA) ran at 37.0
 * against 50.1 GFLOP/s for one (more live W values to spill); W read from an
 * rgba32f texture (98) at 35.2 against 38.8 for 87.
 *
 * Texel views (2026-11-23, scratch probes of the `kernels/` sources, one run
 * or two each): W, then A too, read from read-only `rgba32uint` storage
 * textures (`runtime/texels.ts`), whose loads llvmpipe vectorises instead of
 * looping over lanes (`load_cost.ts`: 4 against 22 core-ns per 8-lane vec4).
 * At the f16 `subgroup` block and the four ALBERT-base shapes, against
 * storage buffers: both folded 4096 texels wide +10–24%, both with one
 * texture row per matrix row +4–24%, both as sampled `texture_2d` +1–5%, W
 * alone folded +3–15%. With both folded, replacing the loads by register
 * values ran at 83–118 GFLOP/s, and a stub epilogue 6–26% faster than the
 * element-by-element one, hence the vec4 epilogue (`kernels/_epilogue.ts`).
 * Tried and slower with texel views: C written through a write-only storage
 * texture (56–69 against 65–73 f32), two K steps per loop iteration (41–49
 * against 64–82). Block sweeps found nothing better at every shape than f32
 * 64 × 2 at 32 lanes (64 × 1–3, 32 × 3–4, 48 × 2, 80 × 2, 96 × 1, 128 × 1 at
 * 8–64 lanes: within 2% or slower) and f16 48 × 1 at 8 lanes (32 and 40 × 1
 * up to 3% faster at three shapes, 4% slower at 1024×3072×768).
 *
 * Ceiling: `alu_ceiling.ts` (register FMAs only) reaches about 100 GFLOP/s
 * with 12 vec4 accumulators once the dispatch is long enough to hide the
 * submit's fixed cost of about 10 ms. `block_breakdown.ts` splits variant 31's
 * time: its block with no loads at all runs near 70 GFLOP/s (the spills), and
 * A's and W's loads take about 25 and 16 of its 58 ms.
 */
import { acquireGpu } from "../../runtime/device.ts";
import { medianDispatchMs, timeDispatch } from "./_dispatch_timer.ts";

interface Shape {
  m: number;
  n: number;
  k: number;
}

/** A variant: WGSL source, workgroup grid, weight layout. */
interface Variant {
  name: string;
  /** "kn": scalar [K, N]; "kn16": [K, N] as f16 pairs packed in u32; "tex": rgba32f texture [K][N/4]. */
  layout: "kn" | "kn16" | "tex";
  aTex?: boolean;
  /** A stored as f16 pairs packed in u32 along K. */
  aHalf?: boolean;
  aUbo?: boolean;
  wUbo?: boolean;
  /** Uses subgroup builtins (the device must have the `subgroups` feature). */
  subgroups?: boolean;
  source: (s: Shape) => string;
  grid: (s: Shape) => [number, number, number];
}

const range = (n: number) => [...Array(n).keys()];

/** The four bindings of the vec4 variants (W of `wElement`) and their K4/N4 constants. */
const vec4Bindings = (s: Shape, wElement = "vec4f") => `
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> w: array<${wElement}>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
const K4 = ${s.k / 4}u;
const N4 = ${s.n / 4}u;`;

/** 64 lanes = 64 vec4 column groups (256 columns); R rows per lane; W vec4 from SSBO or texture. */
function vec4Cols(
  r: number,
  tex: boolean,
  wgSize = 64,
  aMode: "ssbo" | "tex" | "none" | "ubo" = "ssbo",
  wUbo = false,
): Variant {
  return {
    name: `v4cols r=${r} ${tex ? "tex" : "ssbo"} wg=${wgSize} a=${aMode}`,
    aTex: aMode === "tex",
    aUbo: aMode === "ubo",
    wUbo,
    layout: tex ? "tex" : "kn",
    grid: (s) => [s.n / 4 / wgSize, s.m / r, 1],
    source: (s) => `
${
      aMode === "tex"
        ? "@group(0) @binding(0) var a: texture_2d<f32>;"
        : aMode === "ubo"
        ? "@group(0) @binding(0) var<uniform> a: array<vec4f, 4096>;"
        : "@group(0) @binding(0) var<storage, read> a: array<vec4f>;"
    }
${
      tex
        ? "@group(0) @binding(1) var w: texture_2d<f32>;"
        : wUbo
        ? "@group(0) @binding(1) var<uniform> w: array<vec4f, 4096>;"
        : "@group(0) @binding(1) var<storage, read> w: array<vec4f>;"
    }
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
const K4 = ${s.k / 4}u;
const N4 = ${s.n / 4}u;
@compute @workgroup_size(${wgSize})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col = wg.x * ${wgSize}u + lid.x;
  let row0 = wg.y * ${r}u;
  ${range(r).map((i) => `var acc${i} = vec4f(0.0);`).join(" ")}
  for (var k4 = 0u; k4 < K4; k4++) {
    ${
      range(4).map((j) =>
        tex
          ? `let w${j} = textureLoad(w, vec2u(col, k4 * 4u + ${j}u), 0);`
          : wUbo
          ? `let w${j} = w[((k4 * 4u + ${j}u) * N4 + col) % 4096u];`
          : `let w${j} = w[(k4 * 4u + ${j}u) * N4 + col];`
      ).join("\n    ")
    }
    ${
      range(r).map((i) =>
        `let a${i} = ${
          aMode === "tex"
            ? `textureLoad(a, vec2u(k4, row0 + ${i}u), 0)`
            : aMode === "ubo"
            ? `a[((row0 + ${i}u) * K4 + k4) % 4096u]`
            : aMode === "none"
            ? `vec4f(f32(k4 + ${i}u))`
            : `a[(row0 + ${i}u) * K4 + k4]`
        };
    acc${i} = fma(vec4f(a${i}.x), w0, acc${i}); acc${i} = fma(vec4f(a${i}.y), w1, acc${i});
    acc${i} = fma(vec4f(a${i}.z), w2, acc${i}); acc${i} = fma(vec4f(a${i}.w), w3, acc${i});`
      ).join("\n    ")
    }
  }
  let b = bias[col];
  ${range(r).map((i) => `c[(row0 + ${i}u) * N4 + col] = acc${i} + b;`).join("\n  ")}
}`,
  };
}

/** 64 lanes = 64 scalar columns; R rows per lane; scalar W from SSBO. */
function scalarCols(r: number): Variant {
  return {
    name: `scalar cols r=${r}`,
    layout: "kn",
    grid: (s) => [s.n / 64, s.m / r, 1],
    source: (s) => `
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
const K4 = ${s.k / 4}u;
const N = ${s.n}u;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col = wg.x * 64u + lid.x;
  let row0 = wg.y * ${r}u;
  ${range(r).map((i) => `var acc${i} = 0.0;`).join(" ")}
  for (var k4 = 0u; k4 < K4; k4++) {
    let wv = vec4f(${range(4).map((j) => `w[(k4 * 4u + ${j}u) * N + col]`).join(", ")});
    ${range(r).map((i) => `acc${i} += dot(a[(row0 + ${i}u) * K4 + k4], wv);`).join("\n    ")}
  }
  let b = bias[col];
  ${range(r).map((i) => `c[(row0 + ${i}u) * N + col] = acc${i} + b;`).join("\n  ")}
}`,
  };
}

/** R rows × C vec4 column groups per lane (lane-contiguous groups 64 apart); A optionally via shared memory. */
function block(r: number, cg: number, shared = false, unroll = 1, wg = 64): Variant {
  return {
    name: `block r=${r} c=${cg}x4${shared ? " shared" : ""}${
      unroll > 1 ? ` unroll=${unroll}` : ""
    }${wg !== 64 ? ` wg=${wg}` : ""}`,
    layout: "kn",
    grid: (s) => [s.n / 4 / wg / cg, s.m / r, 1],
    source: (s) =>
      `${vec4Bindings(s)}
${shared ? `const TK = 16u; var<workgroup> at: array<vec4f, ${r * 16}>;` : ""}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col = wg.x * ${wg * cg}u + lid.x;
  let row0 = wg.y * ${r}u;
  ${range(r * cg).map((i) => `var acc${i} = vec4f(0.0);`).join(" ")}
  ${
        shared
          ? `for (var kt = 0u; kt < K4; kt += TK) {
    workgroupBarrier();
    for (var i = lid.x; i < ${
            r * 16
          }u; i += ${wg}u) { at[i] = a[(row0 + i / TK) * K4 + kt + i % TK]; }
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
    let k4 = kt + kk;`
          : `for (var k4u = 0u; k4u < K4; k4u += ${unroll}u) {`
      }
    ${
        range(unroll).map((u) =>
          `{ ${shared ? "" : `let k4 = k4u + ${u}u;`}
    ${
            range(r).map((i) =>
              `let a${i} = ${shared ? `at[${i}u * TK + kk]` : `a[(row0 + ${i}u) * K4 + k4]`};`
            ).join("\n    ")
          }
    ${
            range(cg).map((j) =>
              range(4).map((q) => `let w${j}_${q} = w[(k4 * 4u + ${q}u) * N4 + col + ${j * wg}u];`)
                .join(
                  "\n    ",
                ) +
              "\n    " +
              range(r).map((i) =>
                `acc${i * cg + j} = fma(vec4f(a${i}.x), w${j}_0, acc${i * cg + j}); acc${
                  i * cg + j
                } = fma(vec4f(a${i}.y), w${j}_1, acc${i * cg + j}); acc${
                  i * cg + j
                } = fma(vec4f(a${i}.z), w${j}_2, acc${i * cg + j}); acc${
                  i * cg + j
                } = fma(vec4f(a${i}.w), w${j}_3, acc${i * cg + j});`
              ).join("\n    ")
            ).join("\n    ")
          } }`
        ).join("\n    ")
      }
  }${shared ? "}" : ""}
  ${
        range(r).map((i) =>
          range(cg).map((j) =>
            `c[(row0 + ${i}u) * N4 + col + ${j * wg}u] = acc${i * cg + j} + bias[col + ${j * wg}u];`
          ).join("\n  ")
        ).join("\n  ")
      }
}`,
  };
}

/** Rows 0 .. r − 1 of A as a<i>, each broadcast from the lane that loaded it as own<i / sg>. */
const broadcastRows = (r: number, sg: number) =>
  range(r).map((i) => `let a${i} = subgroupBroadcast(own${Math.floor(i / sg)}, ${i % sg}u);`)
    .join("\n    ");

/** For each column group j: W's 4 vec4s of this step (`wAt(j, q)`), then the r × 4 FMAs into acc. */
const loadWAndFma = (r: number, cg: number, wAt: (j: number, q: number) => string) =>
  range(cg).map((j) =>
    range(4).map((q) => `let w${j}_${q} = ${wAt(j, q)};`).join("\n    ") + "\n    " +
    range(r).map((i) =>
      range(4).map((q) =>
        `acc${i * cg + j} = fma(vec4f(a${i}.${"xyzw"[q]}), w${j}_${q}, acc${i * cg + j});`
      ).join(" ")
    ).join("\n    ")
  ).join("\n    ");

/** Store acc + bias for rows row0 + i and vec4 columns `colAt(j)`. */
const storeBlock = (r: number, cg: number, colAt: (j: number) => string) =>
  range(r).map((i) =>
    range(cg).map((j) =>
      `c[(row0 + ${i}u) * N4 + ${colAt(j)}] = acc${i * cg + j} + bias[${colAt(j)}];`
    ).join("\n  ")
  ).join("\n  ");

/**
 * Like `block`, but A's rows are shared through the subgroup (8 lanes on
 * llvmpipe): lane l loads rows l, l + 8, … of the block and
 * `subgroupBroadcast` hands each row to every lane, so each lane loads r / 8
 * vec4s of A per step instead of r.
 */
function sgBlock(
  r: number,
  cg: number,
  wg = 64,
  sg = 8,
  probe = "",
  rowsFast = false,
  wTex = false,
): Variant {
  const per = r / sg;
  // rowsFast: workgroup x walks row blocks, so consecutive workgroups share W's columns.
  const [colId, rowId] = rowsFast ? ["wg.y", "wg.x"] : ["wg.x", "wg.y"];
  // Timing probes (fail the check): "noA" / "noW" / "noAW" compute A's or W's values in registers.
  const aLoad = (p: number) =>
    probe.includes("A") ? `(aKeep + f32(k4 + ${p}u))` : `a[(row0 + sid + ${p * sg}u) * K4 + k4]`;
  const wLoad = (j: number, q: number) =>
    probe.includes("W")
      ? `(wKeep + vec4f(f32(k4 * 4u + ${q}u + ${j}u), 1.0, 2.0, f32(col)))`
      : wTex
      ? `textureLoad(w, vec2u(col + ${j * wg}u, k4 * 4u + ${q}u), 0)`
      : `w[(k4 * 4u + ${q}u) * N4 + col + ${j * wg}u]`;
  return {
    name: `sgblock r=${r} c=${cg}x4${wg !== 64 ? ` wg=${wg}` : ""}${probe ? ` ${probe}` : ""}${
      rowsFast ? " rows-fast" : ""
    }${wTex ? " w=tex" : ""}`,
    layout: wTex ? "tex" : "kn",
    subgroups: true,
    grid: (s) => rowsFast ? [s.m / r, s.n / 4 / wg / cg, 1] : [s.n / 4 / wg / cg, s.m / r, 1],
    source: (s) =>
      `${
        wTex
          ? vec4Bindings(s).replace(
            /var<storage, read> w: array<vec4f>;/,
            "var w: texture_2d<f32>;",
          )
          : vec4Bindings(s)
      }
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(subgroup_invocation_id) sid: u32) {
  let col = ${colId} * ${wg * cg}u + lid.x;
  let row0 = ${rowId} * ${r}u;
  ${range(r * cg).map((i) => `var acc${i} = vec4f(0.0);`).join(" ")}
  // Probes still read each binding once, so the pipeline's layout keeps it.
  let aKeep = a[row0 * K4];
  let wKeep = ${wTex ? "textureLoad(w, vec2u(col, 0u), 0)" : "w[col]"};
  for (var k4 = 0u; k4 < K4; k4++) {
    ${range(per).map((p) => `let own${p} = ${aLoad(p)};`).join("\n    ")}
    ${broadcastRows(r, sg)}
    ${loadWAndFma(r, cg, wLoad)}
  }
  ${storeBlock(r, cg, (j) => `col + ${j * wg}u`)}
}`,
  };
}

/**
 * `sgBlock` with W staged through workgroup memory: the 8 subgroups of a
 * 64-lane workgroup take different row blocks of r rows and the same
 * 8 · cg vec4 columns, so each W vec4 is loaded from storage once per
 * workgroup (tk steps of 4 along K per tile) and read 8 times from workgroup
 * memory, which costs about 7 ns per vec4 against 17.7 (`load_cost.ts`).
 */
function sgShared(r: number, cg: number, tk: number, sg = 8): Variant {
  const per = r / sg;
  const cols = sg * cg; // vec4 columns per workgroup
  const tile = 4 * tk * cols; // vec4s of W per tile
  return {
    name: `sgshared r=${r} c=${cg}x4 tk=${tk}`,
    layout: "kn",
    subgroups: true,
    grid: (s) => [s.n / 4 / cols, s.m / (r * 64 / sg), 1],
    source: (s) =>
      `${vec4Bindings(s)}
var<workgroup> wt: array<vec4f, ${tile}>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32,
        @builtin(subgroup_invocation_id) sid: u32, @builtin(subgroup_id) sgid: u32) {
  let col0 = wg.x * ${cols}u;
  let row0 = wg.y * ${r * 64 / sg}u + sgid * ${r}u;
  ${range(r * cg).map((i) => `var acc${i} = vec4f(0.0);`).join(" ")}
  for (var kt = 0u; kt < K4; kt += ${tk}u) {
    workgroupBarrier();
    ${
        range(tile / 64).map((i) =>
          `{ let t = ${
            i * 64
          }u + li; wt[t] = w[(kt * 4u + t / ${cols}u) * N4 + col0 + t % ${cols}u]; }`
        ).join("\n    ")
      }
    workgroupBarrier();
    for (var kk = 0u; kk < ${tk}u; kk++) {
      let k4 = kt + kk;
      ${
        range(per).map((p) => `let own${p} = a[(row0 + sid + ${p * sg}u) * K4 + k4];`).join(
          "\n      ",
        )
      }
      ${broadcastRows(r, sg)}
      ${loadWAndFma(r, cg, (j, q) => `wt[(kk * 4u + ${q}u) * ${cols}u + ${j * sg}u + sid]`)}
    }
  }
  ${storeBlock(r, cg, (j) => `col0 + ${j * sg}u + sid`)}
}`,
  };
}

/** R rows × 8 columns per lane; W stored as f16 pairs packed in u32 (one vec4<u32> = 8 columns), f32 accumulation. */
function half8(r: number, wg = 32): Variant {
  return {
    name: `half8 r=${r} wg=${wg}`,
    layout: "kn16",
    grid: (s) => [s.n / 8 / wg, s.m / r, 1],
    source: (s) =>
      `${vec4Bindings(s, "vec4u")}
const N8 = ${s.n / 8}u;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col8 = wg.x * ${wg}u + lid.x;
  let row0 = wg.y * ${r}u;
  ${range(r).map((i) => `var lo${i} = vec4f(0.0); var hi${i} = vec4f(0.0);`).join(" ")}
  for (var k4 = 0u; k4 < K4; k4++) {
    ${
        range(4).map((q) =>
          `let p${q} = w[(k4 * 4u + ${q}u) * N8 + col8];
    let wl${q} = vec4f(unpack2x16float(p${q}.x), unpack2x16float(p${q}.y));
    let wh${q} = vec4f(unpack2x16float(p${q}.z), unpack2x16float(p${q}.w));`
        ).join("\n    ")
      }
    ${
        range(r).map((i) =>
          `let a${i} = a[(row0 + ${i}u) * K4 + k4];
    ${
            range(4).map((q) =>
              `lo${i} = fma(vec4f(a${i}[${q}]), wl${q}, lo${i}); hi${i} = fma(vec4f(a${i}[${q}]), wh${q}, hi${i});`
            ).join(" ")
          }`
        ).join("\n    ")
      }
  }
  ${
        range(r).map((i) =>
          `c[(row0 + ${i}u) * N4 + col8 * 2u] = lo${i} + bias[col8 * 2u]; c[(row0 + ${i}u) * N4 + col8 * 2u + 1u] = hi${i} + bias[col8 * 2u + 1u];`
        ).join("\n  ")
      }
}`,
  };
}

/**
 * R rows × CG groups of 8 columns per lane, A and W both stored as f16 pairs
 * packed in u32 (A: one vec4<u32> = 8 values along K; W: one vec4<u32> = 8
 * columns), f32 accumulation: half the loaded components of the f32 kernel.
 */
function halfAW(r: number, cg: number, wg = 32): Variant {
  return {
    name: `halfAW r=${r} c=${cg}x8 wg=${wg}`,
    layout: "kn16",
    aHalf: true,
    grid: (s) => [s.n / 8 / wg / cg, s.m / r, 1],
    source: (s) => `
@group(0) @binding(0) var<storage, read> a: array<vec4u>;
@group(0) @binding(1) var<storage, read> w: array<vec4u>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<vec4f>;
const K8 = ${s.k / 8}u;
const N4 = ${s.n / 4}u;
const N8 = ${s.n / 8}u;
fn lo(p: vec4u) -> vec4f { return vec4f(unpack2x16float(p.x), unpack2x16float(p.y)); }
fn hi(p: vec4u) -> vec4f { return vec4f(unpack2x16float(p.z), unpack2x16float(p.w)); }
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col8 = wg.x * ${wg * cg}u + lid.x;
  let row0 = wg.y * ${r}u;
  ${
      range(r).map((i) =>
        range(cg).map((j) => `var l${i}_${j} = vec4f(0.0); var h${i}_${j} = vec4f(0.0);`).join(" ")
      ).join("\n  ")
    }
  for (var k8 = 0u; k8 < K8; k8++) {
    ${
      range(cg).map((j) =>
        range(8).map((q) => `let p${j}_${q} = w[(k8 * 8u + ${q}u) * N8 + col8 + ${j * wg}u];`)
          .join(" ")
      ).join("\n    ")
    }
    ${
      range(cg).map((j) =>
        range(8).map((q) => `let wl${j}_${q} = lo(p${j}_${q}); let wh${j}_${q} = hi(p${j}_${q});`)
          .join(" ")
      ).join("\n    ")
    }
    ${
      range(r).map((i) =>
        `let pa${i} = a[(row0 + ${i}u) * K8 + k8]; let a${i} = array<vec4f, 2>(lo(pa${i}), hi(pa${i}));
    ${
          range(cg).map((j) =>
            range(8).map((q) =>
              `l${i}_${j} = fma(vec4f(a${i}[${q >> 2}][${
                q & 3
              }]), wl${j}_${q}, l${i}_${j}); h${i}_${j} = fma(vec4f(a${i}[${q >> 2}][${
                q & 3
              }]), wh${j}_${q}, h${i}_${j});`
            ).join(" ")
          ).join("\n    ")
        }`
      ).join("\n    ")
    }
  }
  ${
      range(r).map((i) =>
        range(cg).map((j) =>
          `c[(row0 + ${i}u) * N4 + (col8 + ${j * wg}u) * 2u] = l${i}_${j} + bias[(col8 + ${
            j * wg
          }u) * 2u]; c[(row0 + ${i}u) * N4 + (col8 + ${
            j * wg
          }u) * 2u + 1u] = h${i}_${j} + bias[(col8 + ${j * wg}u) * 2u + 1u];`
        ).join("\n  ")
      ).join("\n  ")
    }
}`,
  };
}

const VARIANTS: Record<string, Variant> = {
  "40": halfAW(8, 1),
  "41": halfAW(16, 1),
  "42": halfAW(8, 3),
  "43": halfAW(16, 3),
  "44": halfAW(16, 2, 48),
  "45": halfAW(32, 1),
  "46": halfAW(16, 1, 96),
  "47": halfAW(8, 2, 48),
  "48": halfAW(24, 2, 48),
  "49": halfAW(12, 2, 48),
  "50": halfAW(16, 2, 16),
  "25": half8(4),
  "26": half8(3),
  "27": half8(8),
  "28": half8(4, 96),
  "29": block(8, 2),
  "30": half8(16),
  "31": block(16, 3),
  "33": half8(32),
  "34": block(32, 3),
  "32": block(8, 3),
  "35": block(16, 3, false, 2),
  "36": block(16, 3, false, 4),
  "37": block(8, 3, false, 4),
  "38": block(16, 3, true),
  "39": block(16, 1),
  "51": block(16, 6, false, 1, 32),
  "52": block(8, 6, false, 1, 32),
  "53": block(16, 3, false, 1, 32),
  "54": block(8, 12, false, 1, 16),
  "55": block(4, 12, false, 1, 16),
  "60": sgBlock(16, 3),
  "61": sgBlock(32, 3),
  "62": sgBlock(32, 2),
  "63": sgBlock(64, 1),
  "64": sgBlock(24, 3),
  "65": sgBlock(32, 1),
  "66": sgBlock(48, 1),
  "67": sgBlock(32, 3, 32),
  "68": sgBlock(32, 2, 32),
  "69": sgBlock(64, 2, 32),
  "70": sgBlock(64, 3, 64),
  "71": sgBlock(64, 3, 32),
  "72": sgBlock(32, 6, 32),
  "73": sgBlock(16, 6, 32),
  "74": sgBlock(32, 3, 8),
  "76": sgBlock(128, 1, 64),
  "77": sgBlock(32, 3, 64, 8, "noA"),
  "78": sgBlock(32, 3, 64, 8, "noW"),
  "79": sgBlock(32, 3, 64, 8, "noAW"),
  "86": sgBlock(32, 3, 64, 8, "", true),
  "87": sgBlock(64, 2, 32, 8, "", true),
  "88": sgBlock(64, 3, 32, 8, "", true),
  "89": sgBlock(64, 3, 16, 8, "", true),
  "90": sgBlock(48, 2, 32, 8, "", true),
  "91": sgBlock(40, 3, 64, 8, "", true),
  "92": sgBlock(64, 2, 16, 8, "", true),
  "93": sgBlock(96, 1, 64, 8, "", true),
  "94": sgBlock(128, 1, 32, 8, "", true),
  "95": sgBlock(128, 2, 32, 8, "", true),
  "96": sgBlock(64, 1, 32, 8, "", true),
  "97": sgBlock(64, 4, 16, 8, "", true),
  "98": sgBlock(64, 2, 32, 8, "", true, true),
  "80": sgShared(32, 3, 4),
  "81": sgShared(32, 3, 8),
  "82": sgShared(16, 3, 8),
  "83": sgShared(32, 2, 8),
  "84": sgShared(16, 6, 4),
  "85": sgShared(32, 4, 4),
  "1": scalarCols(8),
  "2": scalarCols(16),
  "3": vec4Cols(4, false),
  "4": vec4Cols(8, false),
  "5": vec4Cols(4, true),
  "6": vec4Cols(8, true),
  "7": vec4Cols(16, true),
  "8": vec4Cols(16, false),
  "9": vec4Cols(8, true, 64, "tex"),
  "10": vec4Cols(8, true, 64, "none"),
  "11": vec4Cols(8, false, 64, "none"),
  "12": vec4Cols(16, true, 64, "tex"),
  "13": vec4Cols(8, false, 64, "ubo"),
  "20": vec4Cols(8, false, 64, "ssbo", true),
  "22": vec4Cols(8, false, 64, "ubo", true),
  "23": vec4Cols(16, false, 64, "ubo", true),
  "24": vec4Cols(4, false, 64, "ubo", true),
  "21": vec4Cols(16, false, 64, "ubo"),
  "14": block(2, 3),
  "15": block(1, 3),
  "16": block(4, 3),
  "17": block(8, 1, true),
  "18": block(16, 1, true),
  "19": block(4, 3, true),
};

function reference(a: Float32Array, w: Float32Array, bias: Float32Array, s: Shape): Float64Array {
  const out = new Float64Array(s.m * s.n);
  for (let i = 0; i < s.m; i++) {
    for (let j = 0; j < s.n; j++) {
      let sum = 0;
      for (let k = 0; k < s.k; k++) sum += a[i * s.k + k] * w[j * s.k + k];
      out[i * s.n + j] = sum + bias[j];
    }
  }
  return out;
}

const gpu = await acquireGpu();
const device = gpu.device;

function buffer(data: Float32Array | number, usage: number): GPUBuffer {
  const size = typeof data === "number" ? data : data.byteLength;
  const b = device.createBuffer({ size, usage, mappedAtCreation: typeof data !== "number" });
  if (typeof data !== "number") {
    new Float32Array(b.getMappedRange()).set(data);
    b.unmap();
  }
  return b;
}

async function run(v: Variant, s: Shape, reps: number) {
  const rand = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
  const a = rand(s.m * s.k), w = rand(s.n * s.k), bias = rand(s.n);
  const kn = new Float32Array(s.k * s.n);
  for (let j = 0; j < s.n; j++) for (let k = 0; k < s.k; k++) kn[k * s.n + j] = w[j * s.k + k];
  const S = GPUBufferUsage.STORAGE;
  let aRes: GPUBindingResource = { buffer: buffer(a, S) };
  if (v.aHalf) {
    const half = new Float16Array(a);
    a.set(half);
    aRes = { buffer: buffer(new Float32Array(half.buffer), S) };
  }
  if (v.aUbo) {
    aRes = { buffer: buffer(a, S | GPUBufferUsage.UNIFORM), size: 65536 };
  }
  if (v.aTex) {
    const tex = device.createTexture({
      size: [s.k / 4, s.m],
      format: "rgba32float",
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
    });
    device.queue.writeTexture({ texture: tex }, a, { bytesPerRow: s.k * 4 }, [s.k / 4, s.m]);
    aRes = tex.createView();
  }
  const biasBuf = buffer(bias, S);
  const cBuf = buffer(s.m * s.n * 4, S | GPUBufferUsage.COPY_SRC);
  let wRes: GPUBindingResource;
  if (v.layout === "tex") {
    const tex = device.createTexture({
      size: [s.n / 4, s.k],
      format: "rgba32float",
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
    });
    device.queue.writeTexture({ texture: tex }, kn, { bytesPerRow: s.n * 4 }, [s.n / 4, s.k]);
    wRes = tex.createView();
  } else if (v.layout === "kn16") {
    // Round to f16 on the host (Float16Array), then check against the rounded weights.
    const half = new Float16Array(kn);
    for (let j = 0; j < s.n; j++) for (let k = 0; k < s.k; k++) w[j * s.k + k] = half[k * s.n + j];
    wRes = { buffer: buffer(new Float32Array(half.buffer), S) };
  } else {
    wRes = v.wUbo
      ? { buffer: buffer(kn, S | GPUBufferUsage.UNIFORM), size: 65536 }
      : { buffer: buffer(kn, S) };
  }
  const module = device.createShaderModule({ code: v.source(s) });
  const info = await module.getCompilationInfo();
  for (const m of info.messages) console.log(m.type, m.lineNum, m.message);
  const compileStart = performance.now();
  const pipeline = await device.createComputePipelineAsync({
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const compileMs = performance.now() - compileStart;
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: aRes },
      { binding: 1, resource: wRes },
      { binding: 2, resource: { buffer: biasBuf } },
      { binding: 3, resource: { buffer: cBuf } },
    ],
  });
  const grid = v.grid(s);
  const bound = { pipeline, bindGroup, grid };
  const once = () => timeDispatch(device, bound);
  await once();
  // Correctness against a float64 reference.
  const read = buffer(s.m * s.n * 4, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(cBuf, 0, read, 0, s.m * s.n * 4);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const got = new Float32Array(read.getMappedRange().slice(0));
  const ref = reference(a, w, bias, s);
  if (Deno.env.get("LAB_DEBUG")) {
    // a=none check: row 0, column 0 is sum_k floor(k/4) * W[0, k] + bias.
    let e = bias[0];
    for (let k = 0; k < s.k; k++) e += Math.floor(k / 4) * w[k];
    console.log("a=none expect", e, "got", got[0]);
  }
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    worst = Math.max(
      worst,
      Math.abs(got[i] - ref[i]) / (1e-5 * Math.sqrt(s.k) + 1e-5 * Math.abs(ref[i])),
    );
  }
  if (Deno.env.get("LAB_LOOP")) {
    console.log("looping, pid", Deno.pid);
    while (true) await once();
  }
  const ms = await medianDispatchMs(device, bound, { reps, warm: false });
  const gflops = 2 * s.m * s.n * s.k / ms / 1e6;
  console.log(
    `${v.name.padEnd(28)} ${s.m}x${s.n}x${s.k} ${ms.toFixed(1).padStart(8)} ms ${
      gflops.toFixed(1).padStart(6)
    } GFLOP/s  err/tol ${worst.toFixed(2)}${worst > 1 ? " FAIL" : ""}  compile ${
      compileMs.toFixed(0)
    } ms`,
  );
}

const names = Deno.args.length > 0 ? Deno.args : Object.keys(VARIANTS);
// LAB_SHAPE=MxNxK picks another shape (default 1024x768x768).
const [m, n, k] = (Deno.env.get("LAB_SHAPE") ?? "1024x768x768").split("x").map(Number);
const shape = { m, n, k };
for (const name of names) await run(VARIANTS[name], shape, 3);
device.destroy();
