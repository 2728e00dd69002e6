/** Test data on the GPU: seeded values, padded uploads and typed read-backs for the kernel tests. */
import { xoshiro128ss } from "../models/init.ts";
import { type Dtype, readFloats } from "../runtime/kernel.ts";

/** `length` values uniform in [-scale, scale) from the project's seeded generator, so failures reproduce. */
export function uniformValues(length: number, seed: number, scale = 1): Float32Array<ArrayBuffer> {
  const next = xoshiro128ss(seed);
  return Float32Array.from({ length }, () => (next() / 2 ** 31 - 1) * scale);
}

/** Round f32 values to f16 in place when `dtype` is f16, so references see the stored values. */
export function roundTo(dtype: Dtype, data: Float32Array<ArrayBuffer>): Float32Array<ArrayBuffer> {
  if (dtype === "f16") data.set(new Float16Array(data));
  return data;
}

/**
 * A storage buffer holding `values`, stored as `dtype` when they are floats.
 * Padded to whole 16-byte blocks: `writeBuffer` needs whole 4-byte words, which
 * an odd count of f16 values is not.
 */
export function storageBuffer(
  device: GPUDevice,
  values: Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>,
  dtype: Dtype = "f32",
): GPUBuffer {
  const data = dtype === "f16" && values instanceof Float32Array
    ? new Float16Array(values)
    : values;
  const bytes = new Uint8Array(Math.max(16, Math.ceil(data.byteLength / 16) * 16));
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  const buffer = device.createBuffer({
    size: bytes.byteLength,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, bytes);
  return buffer;
}

/** Read `count` values of `dtype` back from the start of `buffer`. */
export async function readValues(
  device: GPUDevice,
  buffer: GPUBuffer,
  count: number,
  dtype: Dtype = "f32",
): Promise<Float32Array | Float16Array> {
  if (dtype === "f32") return await readFloats(device, buffer, count);
  const words = await readFloats(device, buffer, Math.ceil(count / 2));
  return new Float16Array(words.buffer, 0, count);
}
