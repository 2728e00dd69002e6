/**
 * GEMM micro-benchmark: our WebGPU Linear kernel (`kernels/matmul.ts`) against
 * ONNX Runtime's CPU MatMul + Add on the same `C[M, N] = A[M, K]·Wᵀ + b`
 * shapes in the same run, and optionally onnxruntime-web's MatMul + Add on
 * its WebGPU or wasm provider (`--peers`). WebGPU time is wall time from
 * submit to `onSubmittedWorkDone` of a submission holding the GEMM
 * `dispatchesPerSubmit` times back to back, divided by that count; ORT time
 * is wall time of `session.run`. Our GEMM runs as in a forward pass, with the
 * engine's activation pool: on a software adapter that includes copying A
 * into its texel view (`runtime/texels.ts`) before each product.
 *
 * Why several dispatches per submission: every submission's round trip has a
 * fixed cost on top of its work (about 11 ms on llvmpipe here, measured as
 * `submitMs`), which the engine pays once per forward pass of 88 dispatches,
 * not once per GEMM. The count is the smallest that makes that fixed cost at
 * most 5% of a submission (1 where it already is; at most 32).
 *
 * Run: `deno run -A benchmarks/gemm.ts` prints GFLOP/s for the BERT-base shapes.
 */
import * as ort from "onnxruntime-node";
import { DataType, GraphBuilder } from "../backends/onnx/_builder.ts";
import { ActivationPool } from "../backends/webgpu/plan.ts";
import { defaultMatmulVariant, dispatchMatmul, type MatmulVariant } from "../kernels/matmul.ts";
import { prepareLinear } from "../kernels/linear_weights.ts";
import { acquireGpu, assertDtypeSupported, type Gpu } from "../runtime/device.ts";
import { xoshiro128ss } from "../models/init.ts";
import { type Dtype, dtypeBytes, KernelRuntime, submitDispatches } from "../runtime/kernel.ts";
import type { GemmShape as SuiteGemmShape } from "./suites.ts";
import { type PeerName, PEERS } from "./peers.ts";
import { printGemmTable } from "./table.ts";
import { type Spread, spread } from "./throughput.ts";
import { median } from "../runtime/stats.ts";

/** One GEMM shape: A is `[m, k]`, W is `[n, k]` (a suite's shape, label optional). */
export type GemmShape = Pick<SuiteGemmShape, "m" | "n" | "k">;

/** Result of one shape. */
export interface GemmResult extends GemmShape {
  /** Which of our Linear kernels ran (`defaultMatmulVariant` of the adapter unless forced). */
  kernel: MatmulVariant;
  /** Back-to-back dispatches of the GEMM per timed submission (WebGPU time is divided by it). */
  dispatchesPerSubmit: number;
  /** Median wall milliseconds of an empty submission's round trip in this run. */
  submitMs: number;
  /** GFLOP/s of the timed repetitions. */
  webgpuGflops: Spread;
  ortGflops: Spread;
  /** GFLOP/s of each onnxruntime-web peer, when peers were asked for. */
  peerGflops?: Record<string, Spread>;
}

// Fixed operands: uniform in [-1, 1) from the project's seeded generator.
const uniform = xoshiro128ss(7);
function random(length: number): Float32Array<ArrayBuffer> {
  return Float32Array.from({ length }, () => uniform() / 2 ** 31 - 1);
}

function summarize(shape: GemmShape, millis: number[]): Spread {
  return spread(millis.map((ms) => (2 * shape.m * shape.n * shape.k) / ms / 1e6));
}

/** A one-node-pair ONNX graph `Y = MatMul(A, Wᵀ) + b` with W as an initializer. */
function matmulModel(shape: GemmShape, weight: Float32Array, bias: Float32Array): Uint8Array {
  const { n, k } = shape;
  const transposed = new Float32Array(k * n);
  for (let j = 0; j < n; j++) for (let q = 0; q < k; q++) transposed[q * n + j] = weight[j * k + q];
  const g = new GraphBuilder();
  const product = g.node("MatMul", ["a", g.float("w", [k, n], transposed)]);
  g.named("Add", [product, g.float("b", [n], bias)], "y");
  return g.build(
    "gemm",
    [{ name: "a", elemType: DataType.FLOAT, dims: ["m", k] }],
    [{ name: "y", elemType: DataType.FLOAT, dims: ["m", n] }],
  );
}

/** Wall milliseconds of `reps` calls of `run` after `warmup` untimed ones. */
async function timeSession(
  run: () => Promise<unknown>,
  warmup: number,
  reps: number,
): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await run();
  const millis: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    await run();
    millis.push(performance.now() - start);
  }
  return millis;
}

/** Median wall milliseconds of five empty submissions, each awaited: the fixed cost of a submit. */
async function submitRoundTripMs(device: GPUDevice): Promise<number> {
  const millis: number[] = [];
  for (let i = 0; i < 6; i++) {
    const start = performance.now();
    device.queue.submit([device.createCommandEncoder().finish()]);
    await device.queue.onSubmittedWorkDone();
    if (i > 0) millis.push(performance.now() - start);
  }
  return median(millis);
}

/**
 * Dispatches per submission that keep a fixed submit cost of `submitMs` at
 * most 5% of it, given one dispatch's submission took `oneMs`; 1 to 32.
 */
export function dispatchesPerSubmit(submitMs: number, oneMs: number): number {
  const work = Math.max(oneMs - submitMs, 0.01);
  return Math.min(32, Math.max(1, Math.ceil(19 * submitMs / work)));
}

/** Time WebGPU and ONNX Runtime on each shape: `reps` timed runs after `warmup` untimed ones. */
export async function gemmBenchmark(options: {
  shapes: GemmShape[];
  reps?: number;
  warmup?: number;
  onProgress?: (done: number, total: number) => void;
  /** An acquired device to use (the bench command's); otherwise one is acquired and released. */
  gpu?: Gpu;
  /** onnxruntime-web peers timed on the same graph and input. */
  peers?: PeerName[];
  /** Storage of our kernel's A, W and C (f16: the packed-f16 kernel, f32 arithmetic). */
  dtype?: Dtype;
  /** Our Linear kernel (default: the adapter's). */
  matmulVariant?: MatmulVariant;
  /** Weights (and so A) in texel views; default: where the adapter prefers them (`runtime/texels.ts`). */
  texels?: boolean;
}): Promise<GemmResult[]> {
  const dtype = options.dtype ?? "f32";
  const { shapes, reps = 5, warmup = 1 } = options;
  const gpu = options.gpu ?? await acquireGpu();
  assertDtypeSupported(gpu, dtype);
  const { device } = gpu;
  const runtime = new KernelRuntime(device);
  const variant = options.matmulVariant ?? defaultMatmulVariant(device);
  const results: GemmResult[] = [];
  // onnxruntime-web loads only when a peer is asked for (its import is heavy).
  const loadOnnxWeb = options.peers?.length
    ? (await import("../backends/onnx_web/engine.ts")).loadOnnxWeb
    : undefined;
  const pool = new ActivationPool(device);
  try {
    // The fixed cost of a submission, once per run: it does not depend on the shape.
    const submitMs = await submitRoundTripMs(device);
    for (const [index, shape] of shapes.entries()) {
      const { m, n, k } = shape;
      const weight = random(n * k), bias = random(n), a = random(m * k);

      // WebGPU: prepared weight, one recorded set of dispatches replayed per rep.
      const linear = prepareLinear(device, {
        weight,
        bias,
        outFeatures: n,
        inFeatures: k,
        label: "w",
        dtype,
        texels: options.texels,
      });
      const aData = dtype === "f16" ? new Float16Array(a) : a;
      const aBuf = device.createBuffer({
        size: Math.ceil(aData.byteLength / 16) * 16,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | GPUBufferUsage.COPY_SRC,
      });
      device.queue.writeBuffer(aBuf, 0, aData);
      const cBuf = device.createBuffer({
        size: Math.ceil(m * n * dtypeBytes(dtype) / 16) * 16,
        usage: GPUBufferUsage.STORAGE,
      });
      // With the engine's pool, as in a forward pass: split-K scratch, A's texel view.
      const dispatches = await dispatchMatmul(runtime, {
        linear,
        a: aBuf,
        c: cBuf,
        m,
        variant,
        scratch: pool,
      });
      // Wall milliseconds of one submission holding the GEMM `count` times.
      const runGpu = async (count: number) => {
        const start = performance.now();
        submitDispatches(device, ...Array(count).fill(dispatches));
        await device.queue.onSubmittedWorkDone();
        return performance.now() - start;
      };
      for (let i = 0; i < warmup; i++) await runGpu(1);
      // A warm single-dispatch submission against an empty one sets the count.
      const count = dispatchesPerSubmit(submitMs, await runGpu(1));
      const gpuMillis: number[] = [];
      for (let i = 0; i < reps; i++) gpuMillis.push(await runGpu(count) / count);
      for (const chunk of linear.chunks) chunk.weight.destroy();
      linear.bias.destroy();
      aBuf.destroy();
      cBuf.destroy();
      for (const d of dispatches) d.uniformBuffer?.destroy();

      // ONNX Runtime CPU: the same product with the weight as an initializer.
      const onnx = matmulModel(shape, weight, bias);
      const session = await ort.InferenceSession.create(onnx, {
        executionProviders: ["cpu"],
        graphOptimizationLevel: "all",
      });
      const ortMillis = await timeSession(
        () => session.run({ a: new ort.Tensor("float32", a, [m, k]) }),
        warmup,
        reps,
      );
      await session.release();

      // onnxruntime-web peers: the same graph, one session at a time.
      const peerGflops: Record<string, Spread> = {};
      for (const name of options.peers ?? []) {
        const provider = PEERS[name].provider;
        const web = await loadOnnxWeb!(provider);
        const peer = await web.InferenceSession.create(onnx, {
          executionProviders: [provider],
          graphOptimizationLevel: "all",
        });
        const millis = await timeSession(
          () => peer.run({ a: new web.Tensor("float32", a, [m, k]) }),
          warmup,
          reps,
        );
        await peer.release();
        peerGflops[name] = summarize(shape, millis);
      }

      results.push({
        ...shape,
        kernel: variant,
        dispatchesPerSubmit: count,
        submitMs,
        webgpuGflops: summarize(shape, gpuMillis),
        ortGflops: summarize(shape, ortMillis),
        ...(options.peers?.length ? { peerGflops } : {}),
      });
      options.onProgress?.(index + 1, shapes.length);
    }
  } finally {
    pool.destroy();
    if (!options.gpu) device.destroy();
  }
  return results;
}

if (import.meta.main) {
  const shapes = [
    { m: 1024, n: 768, k: 768 },
    { m: 1024, n: 3072, k: 768 },
    { m: 1024, n: 768, k: 3072 },
  ];
  const gpu = await acquireGpu();
  printGemmTable(await gemmBenchmark({ shapes, gpu }), gpu.description);
  gpu.device.destroy();
}
