/**
 * Per-kernel GPU time of one training step (forward, loss, backward,
 * clipping, optimiser) at the bench's reduced shape, batch 2 × 64: the step
 * runs as `deno task bench --train` runs it, but while the timed step is
 * encoded every dispatch gets its own compute pass with timestamps, by
 * wrapping `GPUCommandEncoder.beginComputePass` (the trainer encodes its
 * whole step in one submit and has no profiler of its own). Needs the
 * adapter's `timestamp-query`.
 * Run: `deno run -A benchmarks/lab/train_profile.ts [model] [f32|f16]`.
 *
 * llvmpipe, ALBERT-base, f32 (2026-11-23): 577 dispatches, kernels sum to
 * 2,338 ms, of which the GEMM 1,495, training attention 581 (forward 231,
 * backward 181 + 169) with one query per invocation; after the rewrite of
 * `kernels/attention_train.ts` (4 positions per invocation, head unrolled
 * into vec4 registers) they sum to 1,821–1,866 ms over three runs, attention
 * 91 (forward 33, backward 28 + 31); in f16, 1,690 ms with the GEMM at 1,330.
 * Reading AdamW's step values once per 4 elements then took AdamW from 97
 * to 80 ms (f32) and from 115 to 90 (f16), and a vec4 epilogue in the
 * training GEMM (`kernels/gemm.ts`) its total from 1,468–1,510 to 1,332 ms
 * (f32) and from 1,345 to 1,284 (f16). With AdamW, the gradients' zero-fill
 * and the sums of squares of the global norm on vec4s, AdamW took 43 ms, and
 * in BERT-base's f16 step (110M parameters, where these kernels dominated)
 * AdamW went from 830 to 471–526 ms, the sums of squares from 315 to 240 and
 * the zero-fill from 170 to 74. Run to run the GEMM's total varies by about
 * 10% (1,331–1,494 ms in f32 on the same code).
 */
import { acquireGpu } from "../../runtime/device.ts";
import { resolveModel } from "../../models/resolve.ts";
import type { Dtype } from "../../runtime/kernel.ts";
import { measureTrainThroughput } from "../train_throughput.ts";

const model = await resolveModel(Deno.args[0] ?? "albert-base-v2");
const dtype = (Deno.args[1] ?? "f32") as Dtype;
const gpu = await acquireGpu();
const { device } = gpu;
if (!gpu.hasTimestamps) throw new Error(`${gpu.description} has no timestamp-query`);

const QUERIES = 4096;
const querySet = device.createQuerySet({ type: "timestamp", count: QUERIES });
const timed: { name: string; query: number }[] = [];
let recording = false;

// While recording, a pass is a recorder: each dispatch becomes its own timed pass.
const beginComputePass = GPUCommandEncoder.prototype.beginComputePass;
GPUCommandEncoder.prototype.beginComputePass = function (descriptor) {
  return recording ? recorder(this) : beginComputePass.call(this, descriptor);
};

/** A stand-in compute pass that encodes each of its dispatches in a timed pass of `encoder`. */
function recorder(encoder: GPUCommandEncoder): GPUComputePassEncoder {
  let pipeline: GPUComputePipeline;
  const groups: [number, GPUBindGroup][] = [];
  return {
    setPipeline: (p: GPUComputePipeline) => void (pipeline = p),
    setBindGroup: (index: number, group: GPUBindGroup) => void groups.push([index, group]),
    dispatchWorkgroups(x: number, y?: number, z?: number) {
      const query = 2 * timed.length;
      if (query + 2 > QUERIES) throw new Error(`More than ${QUERIES / 2} dispatches in a step`);
      const pass = beginComputePass.call(encoder, {
        timestampWrites: {
          querySet,
          beginningOfPassWriteIndex: query,
          endOfPassWriteIndex: query + 1,
        },
      });
      pass.setPipeline(pipeline);
      for (const [index, group] of groups) pass.setBindGroup(index, group);
      pass.dispatchWorkgroups(x, y, z);
      pass.end();
      // Pipelines are labelled with their kernel's cache key, whose first field is its name.
      timed.push({ name: pipeline.label.split(",")[0], query });
    },
    end() {},
  } as unknown as GPUComputePassEncoder;
}

// One warm-up step, then the second step is recorded.
let steps = 0;
await measureTrainThroughput(gpu, model, {
  batch: 2,
  seqLen: 64,
  warmup: 1,
  reps: 2,
  dtype,
  onStep: () => void (recording = ++steps === 1),
});

const bytes = timed.length * 16;
const resolve = device.createBuffer({
  size: bytes,
  usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
});
const staging = device.createBuffer({
  size: bytes,
  usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
});
const encoder = device.createCommandEncoder();
encoder.resolveQuerySet(querySet, 0, 2 * timed.length, resolve, 0);
encoder.copyBufferToBuffer(resolve, 0, staging, 0, bytes);
device.queue.submit([encoder.finish()]);
await staging.mapAsync(GPUMapMode.READ);
const ticks = new BigUint64Array(staging.getMappedRange());
const byKernel = new Map<string, { count: number; ms: number }>();
for (const { name, query } of timed) {
  const entry = byKernel.get(name) ?? { count: 0, ms: 0 };
  entry.count++;
  entry.ms += Number(ticks[query + 1] - ticks[query]) / 1e6;
  byKernel.set(name, entry);
}
const total = [...byKernel.values()].reduce((sum, e) => sum + e.ms, 0);
console.log(
  `${gpu.description}, ${Deno.args[0] ?? "albert-base-v2"} ${dtype}: ` +
    `${timed.length} dispatches, kernels sum to ${total.toFixed(1)} ms`,
);
for (const [name, { count, ms }] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`${name.padEnd(28)} ${String(count).padStart(4)} ${ms.toFixed(1).padStart(9)} ms`);
}
