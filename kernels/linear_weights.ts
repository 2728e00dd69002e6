/**
 * A Linear layer's weight on the device (`PreparedLinear`), uploaded once in
 * the layout the Linear kernels read (`matmul.ts`, `matmul_f16.ts`,
 * `matmul_tiled.ts`): the PyTorch `[N, K]` weight transposed to `[K, N]`,
 * padded to whole column groups and split into column chunks that fit one
 * binding, in storage buffers or, on software adapters, texel views
 * (`runtime/texels.ts`).
 */
import type { Dtype } from "../runtime/kernel.ts";
import { prefersTexels, texelCapacity, uploadTexels } from "../runtime/texels.ts";
import { F32_CHUNK_COLUMNS } from "./matmul.ts";
import { F16_CHUNK_COLUMNS } from "./matmul_f16.ts";

/** A Linear layer's weight on the device, in the kernel's layout. */
export interface PreparedLinear {
  inFeatures: number;
  outFeatures: number;
  /** Storage of the weight and of the activations it reads and writes (the bias stays f32). */
  dtype: Dtype;
  /**
   * Column chunks of the transposed weight, each within the binding limit:
   * `[K, ceil(n / 4) · 4]` f32, or `[K, ceil(n / 8) · 8]` f16, in a buffer or
   * a texel view (`runtime/texels.ts`).
   */
  chunks: { weight: GPUBuffer | GPUTexture; n0: number; n: number }[];
  bias: GPUBuffer;
}

/** Raised when a tensor cannot fit in one buffer binding of this device. */
export class BufferLimitError extends Error {
  /** Always `"BufferLimitError"`, so `error.name` and stack traces tell it apart. */
  override name = "BufferLimitError";
}

/**
 * Upload a PyTorch `[N, K]` weight and `[N]` bias in the kernel's layout,
 * converting the weight to f16 when `dtype` is `f16`, as texel views where
 * `texels` (default: where the device prefers them, `prefersTexels`).
 * `maxBindingBytes` lowers the chunk size below the device limit (tests use
 * it to exercise chunking on small weights).
 */
export function prepareLinear(
  device: GPUDevice,
  args: {
    weight: Float32Array;
    bias: Float32Array;
    outFeatures: number;
    inFeatures: number;
    label: string;
    maxBindingBytes?: number;
    dtype?: Dtype;
    texels?: boolean;
  },
): PreparedLinear {
  const { weight, bias, outFeatures: N, inFeatures: K, label } = args;
  const dtype = args.dtype ?? "f32";
  const [bytes, blockN, columnAlign] = dtype === "f16"
    ? [2, F16_CHUNK_COLUMNS, 8]
    : [4, F32_CHUNK_COLUMNS, 4];
  if (weight.length !== N * K || bias.length !== N) {
    throw new RangeError(
      `Tensor "${label}" has ${weight.length} weights and ${bias.length} biases, expected [${N}, ${K}] and [${N}]`,
    );
  }
  const texels = args.texels ?? prefersTexels(device);
  const limit = Math.min(
    device.limits.maxStorageBufferBindingSize,
    texels ? texelCapacity(device) : Infinity,
    args.maxBindingBytes ?? Infinity,
  );
  // Chunks are whole multiples of a workgroup block so a dispatch never straddles two.
  const columnsPerChunk = Math.floor(limit / (K * bytes) / blockN) * blockN;
  if (columnsPerChunk === 0) {
    throw new BufferLimitError(
      `Tensor "${label}" [${N}, ${K}] does not fit this device: one column block needs ${
        K * bytes * blockN
      } bytes, the device allows ${limit} per binding`,
    );
  }
  const chunks: PreparedLinear["chunks"] = [];
  for (let n0 = 0; n0 < N; n0 += columnsPerChunk) {
    const n = Math.min(columnsPerChunk, N - n0);
    const stride = Math.ceil(n / columnAlign) * columnAlign;
    const transposed = dtype === "f16"
      ? new Float16Array(K * stride)
      : new Float32Array(K * stride);
    for (let j = 0; j < n; j++) {
      const row = (n0 + j) * K;
      for (let k = 0; k < K; k++) transposed[k * stride + j] = weight[row + k];
    }
    const chunkLabel = `${label}[${n0}:]`;
    chunks.push({
      weight: texels
        ? uploadTexels(device, transposed, chunkLabel)
        : upload(device, transposed, chunkLabel),
      n0,
      n,
    });
  }
  const biasBuffer = upload(device, bias, `${label}.bias`);
  return { inFeatures: K, outFeatures: N, dtype, chunks, bias: biasBuffer };
}

function upload(device: GPUDevice, data: Float32Array | Float16Array, label: string): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    mappedAtCreation: true,
  });
  new Uint8Array(buffer.getMappedRange(), 0, data.byteLength).set(
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  );
  buffer.unmap();
  return buffer;
}
