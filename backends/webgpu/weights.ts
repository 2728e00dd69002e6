/**
 * Weights on the device, uploaded once. Linear layers are prepared in the
 * GEMM kernel's layout; Q, K and V are concatenated into one `[3W, in]`
 * Linear so a layer runs one QKV GEMM. Tensors shared between layers
 * (ALBERT's cross-layer sharing) are uploaded once and found by name.
 * With `dtype` f16, Linear weights are converted to f16 at upload; embedding
 * tables, LayerNorm parameters and biases stay f32 (small, and read once).
 */
import {
  BufferLimitError,
  type PreparedLinear,
  prepareLinear,
} from "../../kernels/linear_weights.ts";
import type { LinearNames } from "../../models/layout.ts";
import type { Model } from "../../models/model.ts";
import type { Dtype } from "../../runtime/kernel.ts";

/** Device copies of a model's weights, keyed by tensor name. */
export class GpuWeights {
  #tensors = new Map<string, GPUBuffer>();
  #linears = new Map<string, PreparedLinear>();

  constructor(
    readonly device: GPUDevice,
    readonly model: Model,
    readonly dtype: Dtype = "f32",
  ) {}

  /** A tensor as a plain float32 storage buffer (embeddings, LayerNorm parameters). */
  tensor(name: string): GPUBuffer {
    let buffer = this.#tensors.get(name);
    if (!buffer) {
      const data = this.#data(name);
      if (data.byteLength > this.device.limits.maxStorageBufferBindingSize) {
        throw new BufferLimitError(
          `Tensor "${name}" needs ${data.byteLength} bytes, more than this device allows in one binding (${this.device.limits.maxStorageBufferBindingSize})`,
        );
      }
      buffer = this.device.createBuffer({
        label: name,
        size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
        mappedAtCreation: true,
      });
      new Float32Array(buffer.getMappedRange(), 0, data.length).set(data);
      buffer.unmap();
      this.#tensors.set(name, buffer);
    }
    return buffer;
  }

  /** A Linear layer, or several with the same input concatenated along the output (QKV). */
  linear(...parts: LinearNames[]): PreparedLinear {
    const key = parts.map((p) => p.weight).join("+");
    let linear = this.#linears.get(key);
    if (!linear) {
      const inFeatures = parts[0].inFeatures;
      const outFeatures = parts.reduce((sum, p) => sum + p.outFeatures, 0);
      const weight = new Float32Array(outFeatures * inFeatures);
      const bias = new Float32Array(outFeatures);
      let row = 0;
      for (const part of parts) {
        weight.set(this.#data(part.weight), row * inFeatures);
        bias.set(this.#data(part.bias), row);
        row += part.outFeatures;
      }
      linear = prepareLinear(this.device, {
        weight,
        bias,
        outFeatures,
        inFeatures,
        label: key,
        dtype: this.dtype,
      });
      this.#linears.set(key, linear);
    }
    return linear;
  }

  #data(name: string): Float32Array {
    const data = this.model.weights.get(name);
    if (!data) throw new Error(`Missing tensor "${name}"`);
    return data;
  }

  /** Free every device buffer. */
  destroy(): void {
    for (const buffer of this.#tensors.values()) buffer.destroy();
    for (const linear of this.#linears.values()) {
      for (const chunk of linear.chunks) chunk.weight.destroy();
      linear.bias.destroy();
    }
    this.#tensors.clear();
    this.#linears.clear();
  }
}
