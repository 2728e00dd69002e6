/**
 * Where the shipped GEMM block's time goes (the 16 × 3 vec4 block of
 * `kernels/matmul.ts`, lab variant 31, at 1024×768×768): the same kernel with
 * A's loads, W's loads or both replaced by values computed in registers, and
 * with A read from workgroup memory or a uniform buffer instead of storage
 * (no staging and one 48 KB window of A for every workgroup, so those rows
 * are lower bounds on what staging could give). The differences are what each
 * kind of load costs. Run: `deno run -A benchmarks/lab/block_breakdown.ts`.
 *
 * On llvmpipe (Mesa 22.3, 2-core AVX-512 Xeon), median of 5, the last of
 * four runs (2026-11-23; one other run had a 50 ms outlier): both from storage
 * 58.3 ms (20.7 GFLOP/s); A in registers 33.8 (35.8); A from workgroup memory
 * 50.3 (24.0); A from workgroup memory and W in registers 30.5 (39.6); A from
 * a uniform buffer 49.6 (24.3); no loads at all 17.3 (69.7). So A's 16 vec4
 * loads per step cost about 25 ms and W's 12 about 16, whether or not every
 * lane reads the same address; workgroup or uniform memory saves a third of
 * A's cost before any staging (variant 38, which stages, ran slower than 31);
 * and even with every load free the spilled block stays near 70 GFLOP/s, a
 * third of ONNX Runtime's MatMul on the same machine (about 210 at this
 * shape).
 */
import { acquireGpu } from "../../runtime/device.ts";
import { medianDispatchMs } from "./_dispatch_timer.ts";

const M = 1024, N = 768, K = 768;
/** Rows per lane, vec4 column groups per lane, lanes per workgroup (as the shipped kernel). */
const ROWS = 16, GROUPS = 3, LANES = 64;
const range = (n: number) => [...Array(n).keys()];

/** Where a kernel variant takes its A and W values from. */
type Source = "storage" | "registers" | "workgroup" | "uniform";

function kernel(aFrom: Source, wFrom: Source): string {
  const a = (i: number) =>
    aFrom === "storage"
      ? `a[(row0 + ${i}u) * K4 + k4]`
      : aFrom === "uniform"
      ? `au[${i}u * K4 + k4]`
      : aFrom === "workgroup"
      ? `tile[${i}u * 16u + (k4 & 15u)]`
      : `vec4f(kf + ${i}.0)`;
  const w = (j: number, q: number) =>
    wFrom === "storage"
      ? `w[(k4 * 4u + ${q}u) * N4 + col + ${j * LANES}u]`
      : `seed + vec4f(kf * ${q + j * 4 + 1}.0)`;
  const acc = (i: number, j: number) => `acc${i * GROUPS + j}`;
  return `
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> w: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> c: array<vec4f>;
const K4 = ${K / 4}u;
const N4 = ${N / 4}u;
@group(0) @binding(3) var<uniform> au: array<vec4f, ${ROWS * K / 4}>;
var<workgroup> tile: array<vec4f, ${ROWS * 16}>;
@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col = wg.x * ${LANES * GROUPS}u + lid.x;
  let row0 = wg.y * ${ROWS}u;
  let seed = vec4f(f32(lid.x));
  tile[lid.x] = seed;
  workgroupBarrier();
  ${range(ROWS * GROUPS).map((i) => `var acc${i} = vec4f(0.0);`).join(" ")}
  for (var k4 = 0u; k4 < K4; k4++) {
    let kf = f32(k4);
    ${range(ROWS).map((i) => `let a${i} = ${a(i)};`).join("\n    ")}
    ${
    range(GROUPS).flatMap((j) => range(4).map((q) => `let w${j}_${q} = ${w(j, q)};`))
      .join("\n    ")
  }
    ${
    range(ROWS).flatMap((i) =>
      range(GROUPS).map((j) =>
        ["x", "y", "z", "w"].map((x, q) =>
          `${acc(i, j)} = fma(vec4f(a${i}.${x}), w${j}_${q}, ${acc(i, j)});`
        ).join(" ")
      )
    ).join("\n    ")
  }
  }
  ${
    range(ROWS).flatMap((i) =>
      range(GROUPS).map((j) => `c[(row0 + ${i}u) * N4 + col + ${j * LANES}u] = ${acc(i, j)};`)
    ).join("\n  ")
  }
}`;
}

const { device, description } = await acquireGpu();
const usage = GPUBufferUsage.STORAGE;
const buffers = [M * K, N * K, M * N].map((n) => device.createBuffer({ size: n * 4, usage }));
buffers.push(device.createBuffer({ size: ROWS * K * 4, usage: GPUBufferUsage.UNIFORM }));
const variants: [Source, Source][] = [
  ["storage", "storage"],
  ["registers", "storage"],
  ["workgroup", "storage"],
  ["workgroup", "registers"],
  ["uniform", "storage"],
  ["registers", "registers"],
];
console.log(`${description}: ${M}x${N}x${K}, ${ROWS} rows × ${GROUPS} vec4 groups per lane`);
for (const [aFrom, wFrom] of variants) {
  const pipeline = await device.createComputePipelineAsync({
    layout: "auto",
    compute: {
      module: device.createShaderModule({ code: kernel(aFrom, wFrom) }),
      entryPoint: "main",
    },
  });
  // "auto" layouts drop the bindings a variant does not read.
  const read = [aFrom === "storage", wFrom === "storage", true, aFrom === "uniform"];
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.flatMap((buffer, binding) =>
      read[binding] ? [{ binding, resource: { buffer } }] : []
    ),
  });
  const ms = await medianDispatchMs(device, {
    pipeline,
    bindGroup,
    grid: [N / 4 / LANES / GROUPS, M / ROWS],
  });
  console.log(
    `A from ${aFrom.padEnd(9)} W from ${wFrom.padEnd(9)} ${ms.toFixed(1).padStart(6)} ms ` +
      `${(2 * M * N * K / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s`,
  );
}
