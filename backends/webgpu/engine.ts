/**
 * The WebGPU engine: the project's own kernels behind the `Backend`
 * interface. Weights are uploaded once; each (batch, sequence length, task)
 * shape gets a recorded plan; a forward pass is one command buffer with one
 * compute pass and no read-back until its outputs are copied at the end.
 * An optional `ForwardProfiler` (owned by the caller) counts and times passes.
 */
import type { Backend, BackendInfo, EncoderInput, EncoderOutput, OutputName } from "../backend.ts";
import type { Model } from "../../models/model.ts";
import { acquireGpu, assertDtypeSupported, type Gpu } from "../../runtime/device.ts";
import { type Dtype, dtypeBytes, encodeDispatches, KernelRuntime } from "../../runtime/kernel.ts";
import { ActivationPool, buildPlan, type ForwardPlan } from "./plan.ts";
import { taskCount } from "../../models/config.ts";
import { validateInput } from "../validate.ts";
import { GpuWeights } from "./weights.ts";
import type { ForwardProfiler } from "./profiler.ts";
import type { MatmulVariant } from "../../kernels/matmul.ts";

/** Plans kept per engine; evaluation pads per batch, so a few shapes recur. */
const MAX_PLANS = 16;

/** Options of `createWebGpuBackend`. */
export interface WebGpuOptions {
  /** Reuse an acquired device (tests share one); otherwise one is acquired and owned. */
  gpu?: Gpu;
  /** Measure GPU time of each forward pass with timestamp queries when available. */
  timestamps?: boolean;
  /**
   * Count and time every forward pass's dispatches (one compute pass each when timed).
   * The harness's `bench --profile` hook: `ForwardProfiler` is not public API.
   * @internal
   */
  profiler?: ForwardProfiler;
  /**
   * Storage of activations and Linear weights (default f32). `f16` needs the
   * adapter's `shader-f16` feature; arithmetic stays f32 either way.
   */
  dtype?: Dtype;
  /**
   * The Linear kernel (default: the adapter's, `defaultMatmulVariant`);
   * tests and benchmarks force one to compare both on one adapter.
   */
  matmulVariant?: MatmulVariant;
}

/** Upload a model and return a WebGPU backend for it. */
export async function createWebGpuBackend(
  model: Model,
  options: WebGpuOptions = {},
): Promise<WebGpuBackend> {
  const gpu = options.gpu ?? await acquireGpu();
  const dtype = options.dtype ?? "f32";
  try {
    assertDtypeSupported(gpu, dtype);
  } catch (error) {
    if (options.gpu === undefined) gpu.device.destroy();
    throw error;
  }
  const backend = new WebGpuBackend(gpu, model, options.gpu === undefined, { ...options, dtype });
  await backend.warmUp();
  return backend;
}

/** A model loaded on a WebGPU device. */
export class WebGpuBackend implements Backend {
  /** `webgpu`, the adapter's description and features, and the storage dtype. */
  readonly info: BackendInfo;
  /** GPU milliseconds of the last forward pass (timestamp queries), when measured. */
  lastGpuMs?: number;
  #runtime: KernelRuntime;
  #weights: GpuWeights;
  #pool: ActivationPool;
  #plans = new Map<string, ForwardPlan>();
  #querySet?: GPUQuerySet;
  #queryBuffer?: GPUBuffer;
  #profiler?: ForwardProfiler;
  #matmulVariant?: MatmulVariant;
  /** Storage precision of activations and Linear weights (default f32). */
  readonly dtype: Dtype;

  /**
   * Wrap a model (weights upload on first use). Prefer `createWebGpuBackend`, which also
   * checks `dtype` and warms up. `ownsDevice`: whether `dispose` destroys `gpu.device`.
   */
  constructor(
    readonly gpu: Gpu,
    readonly model: Model,
    readonly ownsDevice: boolean,
    options: Omit<WebGpuOptions, "gpu"> = {},
  ) {
    const { timestamps = false, profiler, dtype = "f32" } = options;
    this.dtype = dtype;
    this.#matmulVariant = options.matmulVariant;
    this.info = { name: "webgpu", device: gpu.description, features: gpu.features, dtype };
    this.#runtime = new KernelRuntime(gpu.device);
    this.#weights = new GpuWeights(gpu.device, model, dtype);
    this.#pool = new ActivationPool(gpu.device);
    this.#profiler = profiler;
    // A profiler splits the pass and times each dispatch itself.
    if (timestamps && gpu.hasTimestamps && !profiler) {
      this.#querySet = gpu.device.createQuerySet({ type: "timestamp", count: 2 });
      this.#queryBuffer = gpu.device.createBuffer({
        size: 16,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
    }
  }

  /** Upload every weight and compile the kernels of a one-token plan. */
  async warmUp(): Promise<void> {
    for (let task = 0; task < taskCount(this.model.config); task++) {
      await this.#plan(1, 1, task);
    }
  }

  /** Number of dispatches in the plan of a shape (for profiling output). */
  async dispatchCount(batch: number, seqLen: number, task = 0): Promise<number> {
    return (await this.#plan(batch, seqLen, task)).dispatches.length;
  }

  async run(
    input: EncoderInput,
    outputs: OutputName[] = ["lastHiddenState", "pooledOutput", "logits"],
  ): Promise<EncoderOutput> {
    const task = validateInput(this.model.config, input);
    const plan = await this.#plan(input.batchSize, input.seqLen, task);
    const device = this.gpu.device;
    const profiler = this.#profiler;
    profiler?.begin();
    try {
      device.queue.writeBuffer(plan.inputs.ids, 0, new Uint32Array(input.inputIds));
      device.queue.writeBuffer(plan.inputs.types, 0, new Uint32Array(input.tokenTypeIds));
      device.queue.writeBuffer(plan.inputs.mask, 0, new Uint32Array(input.attentionMask));

      // A plan that WebGPU rejects must fail here, not return whatever the outputs held.
      device.pushErrorScope("validation");
      const encoder = device.createCommandEncoder();
      if (profiler) {
        profiler.encode(encoder, plan.dispatches);
        profiler.resolve(encoder);
      } else {
        encodeDispatches(
          encoder,
          plan.dispatches,
          this.#querySet && { querySet: this.#querySet, begin: 0, end: 1 },
        );
      }

      const reads: [OutputName | "timestamps", GPUBuffer][] = [];
      const copyOut = (name: OutputName | "timestamps", source: GPUBuffer, bytes: number) => {
        const staging = device.createBuffer({
          size: bytes,
          usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        });
        encoder.copyBufferToBuffer(source, 0, staging, 0, bytes);
        reads.push([name, staging]);
      };
      // f16 outputs are widened on the CPU; copies are whole 4-byte words.
      const elementBytes = dtypeBytes(this.dtype);
      for (const name of outputs) {
        const output = plan.outputs[name];
        if (output) copyOut(name, output.buffer, Math.ceil(output.floats * elementBytes / 4) * 4);
      }
      if (this.#querySet && this.#queryBuffer) {
        encoder.resolveQuerySet(this.#querySet, 0, 2, this.#queryBuffer, 0);
        copyOut("timestamps", this.#queryBuffer, 16);
      }
      device.queue.submit([encoder.finish()]);
      const rejected = await device.popErrorScope();
      if (rejected) {
        for (const [, staging] of reads) staging.destroy();
        throw new Error(
          `WebGPU rejected the forward pass (batch ${input.batchSize}, sequence ${input.seqLen}): ${rejected.message}`,
        );
      }
      if (reads.length === 0) await device.queue.onSubmittedWorkDone();

      const result: EncoderOutput = {};
      await Promise.all(reads.map(async ([name, staging]) => {
        await staging.mapAsync(GPUMapMode.READ);
        const range = staging.getMappedRange();
        if (name === "timestamps") {
          const [begin, end] = new BigUint64Array(range);
          this.lastGpuMs = Number(end - begin) / 1e6;
        } else {
          const floats = plan.outputs[name]!.floats;
          result[name] = this.dtype === "f16"
            ? Float32Array.from(new Float16Array(range, 0, floats))
            : new Float32Array(range.slice(0));
        }
        staging.unmap();
        staging.destroy();
      }));
      if (profiler) {
        const profiled = await profiler.end();
        if (profiled.spanNs !== null) this.lastGpuMs = profiled.spanNs / 1e6;
      }
      return result;
    } finally {
      // A pass that threw must not leave the queue counting for the profiler; after
      // `end` there is nothing to undo.
      profiler?.abandon();
    }
  }

  async #plan(batch: number, seqLen: number, task: number): Promise<ForwardPlan> {
    const key = `${batch}x${seqLen}/${task}`;
    let plan = this.#plans.get(key);
    if (plan && plan.generation !== this.#pool.generation) {
      destroyPlan(plan);
      this.#plans.delete(key);
      plan = undefined;
    }
    if (!plan) {
      plan = await buildPlan(this.#runtime, this.#weights, this.#pool, { batch, seqLen, task }, {
        matmulVariant: this.#matmulVariant,
      });
      if (this.#plans.size >= MAX_PLANS) {
        const [oldestKey, oldest] = this.#plans.entries().next().value!;
        destroyPlan(oldest);
        this.#plans.delete(oldestKey);
      }
    } else {
      this.#plans.delete(key); // re-insert below to keep least-recently-used order
    }
    this.#plans.set(key, plan);
    return plan;
  }

  dispose(): void {
    for (const plan of this.#plans.values()) destroyPlan(plan);
    this.#plans.clear();
    this.#pool.destroy();
    this.#weights.destroy();
    this.#querySet?.destroy();
    this.#queryBuffer?.destroy();
    if (this.ownsDevice) this.gpu.device.destroy();
  }
}

function destroyPlan(plan: ForwardPlan): void {
  for (const d of plan.dispatches) d.uniformBuffer?.destroy();
}
