/**
 * The safetensors format (https://github.com/huggingface/safetensors): an
 * 8-byte little-endian header length N, N bytes of JSON mapping each tensor
 * name to `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the
 * data section) plus an optional `__metadata__` string map, then the data.
 *
 * Reading accepts F32, F16 and BF16 and always yields float32; writing emits F32
 * (or F16). Validation is as strict as the reference implementation: offsets
 * must match dtype × shape, tensors may not overlap, and the data section must
 * be covered exactly, so a corrupt or truncated file fails with a message that
 * names the file and the tensor instead of producing garbage weights.
 */
import { shapeSize } from "./layout.ts";

/** Element types this module reads; it writes only F32 and F16. */
export type SafetensorsDtype = "F32" | "F16" | "BF16";

/** One tensor read from (or to be written to) a safetensors file, as float32. */
export interface SafetensorsTensor {
  shape: number[];
  data: Float32Array;
}

/** The contents of a safetensors file, tensors in header order. */
export interface SafetensorsFile {
  tensors: Map<string, SafetensorsTensor & { dtype: SafetensorsDtype }>;
  metadata: Record<string, string>;
}

/** Options for writing a safetensors file. */
export interface SafetensorsWriteOptions {
  /** Element type on disk; float32 unless told (F16 rounds to nearest even). */
  dtype?: "F32" | "F16";
  /** String metadata stored under `__metadata__` (Hugging Face writes `{"format": "pt"}`). */
  metadata?: Record<string, string>;
}

/** Raised for a checkpoint that cannot be read; the message names the file and the tensor. */
export class CheckpointError extends Error {
  /** Always `"CheckpointError"`. */
  override name = "CheckpointError";
}

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };
// The reference implementation refuses headers above 100 MB; so do we, before parsing.
const MAX_HEADER_BYTES = 100_000_000;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Read and validate a safetensors file, converting every tensor to float32. */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return decodeSafetensors(await Deno.readFile(path), path);
}

/** Decode safetensors bytes; `source` names the file in error messages. */
export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  const fail = (message: string): never => {
    throw new CheckpointError(`Cannot load checkpoint "${source}": ${message}`);
  };
  if (bytes.length < 8) fail(`file has ${bytes.length} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} is implausibly large`);
  if (8 + headerLength > bytes.length) {
    fail(`header length ${headerLength} is beyond the file (file has ${bytes.length} bytes)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(
      bytes.subarray(8, 8 + headerLength),
    ));
  } catch (error) {
    fail(`header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    fail("header is not a JSON object");
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = parseMetadata((header as Record<string, unknown>).__metadata__, fail);

  const entries: {
    name: string;
    dtype: SafetensorsDtype;
    shape: number[];
    begin: number;
    end: number;
  }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") continue;
    const tensorFail = (message: string): never => fail(`tensor "${name}" ${message}`);
    if (typeof raw !== "object" || raw === null) tensorFail("has no header entry object");
    const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== "string" || !(dtype in DTYPE_BYTES)) {
      tensorFail(`has unsupported dtype ${JSON.stringify(dtype)} (supported: F32, F16, BF16)`);
    }
    if (!Array.isArray(shape) || !shape.every((n) => Number.isSafeInteger(n) && n >= 0)) {
      tensorFail(`has invalid shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) || offsets.length !== 2 ||
      !offsets.every((n) => Number.isSafeInteger(n) && n >= 0) || offsets[0] > offsets[1]
    ) {
      tensorFail(`has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    const needed = shapeSize(shape as number[]) * DTYPE_BYTES[dtype as SafetensorsDtype];
    if (end - begin !== needed) {
      tensorFail(
        `has data_offsets [${begin}, ${end}] (${end - begin} bytes), expected ${needed} bytes ` +
          `for ${dtype} [${(shape as number[]).join(", ")}]`,
      );
    }
    entries.push({ name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end });
  }

  // Sorted by offset, each tensor must start where the previous one ended: no overlap, no holes.
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const entry of byOffset) {
    if (entry.begin < cursor) {
      fail(`tensor "${entry.name}" overlaps another tensor (bytes ${entry.begin}..${entry.end})`);
    }
    if (entry.begin > cursor) {
      fail(`tensor "${entry.name}" leaves a gap in the data (bytes ${cursor}..${entry.begin})`);
    }
    if (entry.end > dataLength) {
      fail(
        `tensor "${entry.name}" is truncated (needs bytes ${dataStart + entry.begin}..${
          dataStart + entry.end
        }, file has ${bytes.length})`,
      );
    }
    cursor = entry.end;
  }
  if (cursor !== dataLength) {
    fail(`file has ${dataLength - cursor} bytes after the last tensor`);
  }

  const tensors: SafetensorsFile["tensors"] = new Map();
  for (const { name, dtype, shape, begin, end } of entries) {
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    tensors.set(name, { dtype, shape, data: toFloat32(raw, dtype) });
  }
  return { tensors, metadata };
}

function parseMetadata(raw: unknown, fail: (message: string) => never): Record<string, string> {
  if (raw === undefined) return {};
  if (
    typeof raw !== "object" || raw === null || Array.isArray(raw) ||
    !Object.values(raw).every((v) => typeof v === "string")
  ) {
    fail("__metadata__ must map strings to strings");
  }
  return { ...(raw as Record<string, string>) };
}

function toFloat32(raw: Uint8Array, dtype: SafetensorsDtype): Float32Array {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dtype === "F32") {
    // A copy also realigns: the data section need not start on a 4-byte boundary.
    if (LITTLE_ENDIAN) return new Float32Array(raw.slice().buffer);
    return Float32Array.from({ length: raw.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
  }
  const count = raw.length / 2;
  const out = new Float32Array(count);
  if (dtype === "BF16") {
    // bfloat16 is the top half of a float32's bits.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
    return out;
  }
  for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
  return out;
}

/** Decode IEEE 754 binary16 bits to a number. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // subnormal or zero
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Encode a number as IEEE 754 binary16 bits, rounding to nearest even. */
export function floatToHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to infinity
  if (e <= 0) {
    if (e < -10) return sign; // underflows to zero
    // Subnormal: shift the implicit 1 in and round the dropped bits to nearest even.
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let out = m >>> shift;
    if (rest > half || (rest === half && (out & 1))) out++;
    return sign | out;
  }
  let out = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1))) out++;
  return sign | out;
}

/** Header and data chunks of a safetensors file, for streaming to disk without one big copy. */
export function safetensorsChunks(
  tensors: Iterable<[string, SafetensorsTensor]>,
  options: SafetensorsWriteOptions = {},
): Uint8Array[] {
  const dtype = options.dtype ?? "F32";
  const header: Record<string, unknown> = {};
  if (options.metadata) header.__metadata__ = options.metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, { shape, data }] of tensors) {
    if (name === "__metadata__") throw new Error(`Tensor name "${name}" is reserved`);
    if (data.length !== shapeSize(shape)) {
      throw new Error(
        `Tensor "${name}" has ${data.length} values, shape [${shape.join(", ")}] needs ${
          shapeSize(shape)
        }`,
      );
    }
    const chunk = fromFloat32(data, dtype);
    header[name] = { dtype, shape, data_offsets: [offset, offset + chunk.length] };
    chunks.push(chunk);
    offset += chunk.length;
  }
  // Pad the header with spaces to 8 bytes, as the reference writer does, so data stays aligned.
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    json = new TextEncoder().encode(JSON.stringify(header) + " ".repeat(padded - json.length));
  }
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(json.length), true);
  return [prefix, json, ...chunks];
}

/** Encode tensors as one safetensors byte array. */
export function encodeSafetensors(
  tensors: Iterable<[string, SafetensorsTensor]>,
  options: SafetensorsWriteOptions = {},
): Uint8Array {
  const chunks = safetensorsChunks(tensors, options);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

function fromFloat32(data: Float32Array, dtype: "F32" | "F16"): Uint8Array {
  if (dtype === "F32") {
    if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const out = new Uint8Array(data.length * 4);
    const view = new DataView(out.buffer);
    data.forEach((v, i) => view.setFloat32(4 * i, v, true));
    return out;
  }
  const out = new Uint8Array(data.length * 2);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setUint16(2 * i, floatToHalf(v), true));
  return out;
}
