/**
 * A model's parameters on the GPU for training: for every tensor the weights,
 * the gradient and the optimiser's two moments (plus LAMB's update scratch),
 * each its own storage buffer in the PyTorch layout. Tensors shared between
 * layers (ALBERT) appear once, so every application adds into the same
 * gradient. Weights and optimiser state are read back only to save a
 * checkpoint or a resume point, never per step.
 *
 * For mixed-precision training (`dtype` f16) each Linear weight also has an
 * f16 copy, `half`, which the forward and input-gradient GEMMs read (half the
 * loads) and the optimiser refreshes after every update; the f32 `param`
 * stays the master copy. The copy is always rounded on the GPU (WGSL leaves
 * the rounding direction to the device), so a resumed run's copies are the
 * ones an uninterrupted run would have.
 */
import type { Model, Weights } from "../models/model.ts";
import type { TensorRole } from "../models/layout.ts";
import { dispatchToF16 } from "../kernels/elementwise.ts";
import { type Dtype, type KernelRuntime, submitDispatches } from "../runtime/kernel.ts";
import { BufferLimitError } from "../kernels/linear_weights.ts";

/** One trainable tensor and its state buffers. */
export interface TrainableTensor {
  name: string;
  size: number;
  role: TensorRole;
  /** Decoupled weight decay applies (not to biases and LayerNorm, as BERT's optimiser). */
  decay: boolean;
  param: GPUBuffer;
  grad: GPUBuffer;
  m: GPUBuffer;
  v: GPUBuffer;
  /** f16 copy of a Linear weight (mixed-precision training only). */
  half?: GPUBuffer;
}

/** Every trainable tensor of a model, by name. */
export class TrainableParams {
  readonly tensors: TrainableTensor[] = [];
  #byName = new Map<string, TrainableTensor>();

  readonly device: GPUDevice;

  /** Upload `model`'s weights (and, in f16, allocate the copies `refreshHalves` fills). */
  constructor(
    /** Compiles and records the f16 rounding of the weight copies. */
    readonly runtime: KernelRuntime,
    readonly model: Model,
    readonly dtype: Dtype = "f32",
  ) {
    const device = this.device = runtime.device;
    const limit = device.limits.maxStorageBufferBindingSize;
    for (const spec of model.layout.tensors) {
      const data = model.weights.get(spec.name)!;
      if (data.byteLength > limit) {
        throw new BufferLimitError(
          `Tensor "${spec.name}" needs ${data.byteLength} bytes, more than this device allows in one binding (${limit})`,
        );
      }
      const make = (label: string, bytes = data.byteLength) =>
        device.createBuffer({
          label,
          size: Math.max(16, Math.ceil(bytes / 16) * 16),
          usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
        });
      const tensor: TrainableTensor = {
        name: spec.name,
        size: data.length,
        role: spec.role,
        decay: spec.role === "linear-weight" || spec.role === "embedding",
        param: make(spec.name),
        grad: make(`${spec.name}.grad`),
        m: make(`${spec.name}.m`),
        v: make(`${spec.name}.v`),
      };
      if (dtype === "f16" && spec.role === "linear-weight") {
        tensor.half = make(`${spec.name}.f16`, data.length * 2);
      }
      device.queue.writeBuffer(tensor.param, 0, data as Float32Array<ArrayBuffer>);
      this.tensors.push(tensor);
      this.#byName.set(spec.name, tensor);
    }
  }

  /** The tensor called `name`. */
  get(name: string): TrainableTensor {
    const tensor = this.#byName.get(name);
    if (!tensor) throw new Error(`Missing tensor "${name}"`);
    return tensor;
  }

  /** Read one state buffer of every tensor back (weights by default). */
  async read(which: "param" | "grad" | "m" | "v" = "param"): Promise<Weights> {
    const encoder = this.device.createCommandEncoder();
    const staging = this.tensors.map((t) => {
      const buffer = this.device.createBuffer({
        size: t[which].size,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      encoder.copyBufferToBuffer(t[which], 0, buffer, 0, t[which].size);
      return buffer;
    });
    this.device.queue.submit([encoder.finish()]);
    const out: Weights = new Map();
    await Promise.all(staging.map(async (buffer, i) => {
      await buffer.mapAsync(GPUMapMode.READ);
      out.set(
        this.tensors[i].name,
        new Float32Array(buffer.getMappedRange().slice(0, this.tensors[i].size * 4)),
      );
      buffer.unmap();
      buffer.destroy();
    }));
    return out;
  }

  /** Overwrite one state buffer of every tensor (resuming); weights refresh their f16 copies. */
  async write(which: "param" | "m" | "v", values: Weights): Promise<void> {
    for (const t of this.tensors) {
      const data = values.get(t.name);
      if (!data || data.length !== t.size) {
        throw new Error(`Resume state lacks ${which} of "${t.name}" (or has the wrong size)`);
      }
      this.device.queue.writeBuffer(t[which], 0, data as Float32Array<ArrayBuffer>);
    }
    if (which === "param") await this.refreshHalves();
  }

  /** Round every weight with an f16 copy into it, on the GPU; waits for the GPU. */
  async refreshHalves(): Promise<void> {
    const dispatches = [];
    for (const t of this.tensors) {
      if (t.half) {
        dispatches.push(
          await dispatchToF16(this.runtime, { x: t.param, out: t.half, count: t.size }),
        );
      }
    }
    if (dispatches.length === 0) return;
    submitDispatches(this.device, dispatches);
    await this.device.queue.onSubmittedWorkDone();
    for (const d of dispatches) d.uniformBuffer?.destroy();
  }

  /** Free every buffer. */
  destroy(): void {
    for (const t of this.tensors) {
      for (const b of [t.param, t.grad, t.m, t.v, t.half]) b?.destroy();
    }
  }
}
