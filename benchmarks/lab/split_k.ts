/**
 * Split-K lab: the Linear GEMM (`kernels/matmul.ts`) on skinny shapes, once
 * as the single dispatch (S = 1) and once with the split the policy of
 * `kernels/matmul_split_k.ts` picks, side by side in the same run, f32 and
 * f16. Each figure is the median GFLOP/s of 5 timed repetitions after 2
 * warm-ups (the two variants alternate), timed on the GPU with timestamp queries around the pass (wall
 * time from submit to `onSubmittedWorkDone` without them); the split's output
 * is checked against the single dispatch's.
 *
 * Run: `deno run -A benchmarks/lab/split_k.ts [--parallelism N]` (N overrides
 * the policy's target, by default the adapter's CPU threads on llvmpipe).
 */
import { parseArgs } from "node:util";
import { ActivationPool } from "../../backends/webgpu/plan.ts";
import { dispatchMatmul, splitKPlan } from "../../kernels/matmul.ts";
import { prepareLinear } from "../../kernels/linear_weights.ts";
import { defaultParallelism } from "../../kernels/matmul_split_k.ts";
import { xoshiro128ss } from "../../models/init.ts";
import { acquireGpu, type Gpu } from "../../runtime/device.ts";
import {
  type Dispatch,
  type Dtype,
  dtypeBytes,
  encodeDispatches,
  KernelRuntime,
  readFloats,
} from "../../runtime/kernel.ts";
import { median } from "../../runtime/stats.ts";
import { formatMedianRange } from "../format.ts";
import { spread } from "../throughput.ts";

const SHAPES: [number, number, number][] = [
  [8, 768, 768],
  [16, 768, 768],
  [16, 3072, 768],
  [16, 768, 3072],
  [8, 4096, 4096],
];
const WARMUP = 2;
const REPS = 5;

const uniform = xoshiro128ss(11);
const random = (length: number) => Float32Array.from({ length }, () => uniform() / 2 ** 31 - 1);

/** Milliseconds of one pass over `dispatches`: GPU time with timestamps, else wall time. */
async function timePass(gpu: Gpu, dispatches: Dispatch[], query?: GPUQuerySet): Promise<number> {
  const { device } = gpu;
  const start = performance.now();
  const encoder = device.createCommandEncoder();
  encodeDispatches(encoder, dispatches, query && { querySet: query, begin: 0, end: 1 });
  let resolved: GPUBuffer | undefined;
  if (query) {
    resolved = device.createBuffer({
      size: 16,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    encoder.resolveQuerySet(query, 0, 2, resolved, 0);
  }
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
  const wall = performance.now() - start;
  if (!resolved) return wall;
  const words = await readFloats(device, resolved, 4);
  resolved.destroy();
  const [begin, end] = new BigUint64Array(words.buffer);
  return Number(end - begin) / 1e6;
}

/**
 * GFLOP/s of each timed repetition of each dispatch list for an M×N×K
 * product; the lists take turns within a repetition, so a load change on the
 * shared machine hits both alike.
 */
async function gflops(gpu: Gpu, lists: Dispatch[][], flops: number, query?: GPUQuerySet) {
  for (let i = 0; i < WARMUP; i++) for (const list of lists) await timePass(gpu, list, query);
  const rates: number[][] = lists.map(() => []);
  for (let i = 0; i < REPS; i++) {
    for (const [j, list] of lists.entries()) {
      rates[j].push(flops / (await timePass(gpu, list, query)) / 1e6);
    }
  }
  return rates;
}

async function main(): Promise<void> {
  const args = parseArgs({ options: { parallelism: { type: "string" } } }).values;
  const gpu = await acquireGpu();
  const { device } = gpu;
  const runtime = new KernelRuntime(device);
  const pool = new ActivationPool(device);
  const query = gpu.hasTimestamps
    ? device.createQuerySet({ type: "timestamp", count: 2 })
    : undefined;
  const parallelism = args.parallelism ? Number(args.parallelism) : defaultParallelism(device);
  console.log(
    `${gpu.description}; parallelism target ${parallelism}; ${
      query ? "GPU timestamps" : "wall time"
    }; median of ${REPS} after ${WARMUP} warm-ups`,
  );
  console.log(
    "dtype  M×N×K            S   S=1 GFLOP/s (min–max)   split GFLOP/s (min–max)   ratio",
  );
  const dtypes: Dtype[] = gpu.hasF16 ? ["f32", "f16"] : ["f32"];
  for (const dtype of dtypes) {
    for (const [m, n, k] of SHAPES) {
      const linear = prepareLinear(device, {
        weight: random(n * k),
        bias: random(n),
        outFeatures: n,
        inFeatures: k,
        label: "w",
        dtype,
      });
      const a = random(m * k);
      const aBuf = pool.get("a", m * k, dtypeBytes(dtype));
      device.queue.writeBuffer(aBuf, 0, dtype === "f16" ? new Float16Array(a) : a);
      const outputs = [pool.get("c.single", m * n), pool.get("c.split", m * n)];
      const base = { linear, a: aBuf, m, activation: "gelu" as const };
      const single = await dispatchMatmul(runtime, { ...base, c: outputs[0] });
      const splitK = { parallelism };
      const split = await dispatchMatmul(runtime, {
        ...base,
        c: outputs[1],
        scratch: pool,
        splitK,
      });
      const { splits } = splitKPlan(device, { linear, m, splitK })[0];
      const flops = 2 * m * n * k;
      const rates = await gflops(gpu, [single, split], flops, query);
      // The split sums in another order: its output differs from S = 1 by rounding only.
      const count = Math.ceil(m * n * dtypeBytes(dtype) / 4);
      const [x, y] = await Promise.all(outputs.map((c) => readFloats(device, c, count)));
      const values = dtype === "f16"
        ? [new Float16Array(x.buffer), new Float16Array(y.buffer)]
        : [x, y];
      let diff = 0;
      for (let i = 0; i < m * n; i++) diff = Math.max(diff, Math.abs(values[0][i] - values[1][i]));
      const cell = (r: number[]) => formatMedianRange(spread(r), 1).padEnd(24);
      console.log(
        `${dtype.padEnd(6)} ${`${m}×${n}×${k}`.padEnd(16)} ${String(splits).padStart(2)}   ${
          cell(rates[0])
        }${cell(rates[1])}  ${(median(rates[1]) / median(rates[0])).toFixed(2)}  max|Δ| ${
          diff.toExponential(1)
        }`,
      );
      for (const d of [...single, ...split]) d.uniformBuffer?.destroy();
      for (const chunk of linear.chunks) chunk.weight.destroy();
      linear.bias.destroy();
    }
  }
  query?.destroy();
  pool.destroy();
  device.destroy();
}

if (import.meta.main) await main();
