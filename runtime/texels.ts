/**
 * Texel views: a buffer's bytes laid out in an `rgba32uint` storage texture
 * `TEXELS_PER_ROW` texels (64 KiB) wide, row after row, so 16-byte element i
 * of the buffer is texel `(i % 4096, i / 4096)`. Kernels read them with the
 * WGSL `texel(t, i)` of `TEXEL_WGSL`, at the same indices as the buffer's
 * `vec4` elements.
 *
 * Why: llvmpipe turns every storage-buffer load into a loop over the 8 lanes
 * of a SIMD register with a bounds check per component, while an image load
 * is one vectorised gather; a per-lane `vec4` load costs about 23 core-ns per
 * 8 lanes from a buffer and 5 from a read-only storage texture
 * (`benchmarks/lab/load_cost.ts`). The Linear GEMMs read both operands this
 * way on software adapters (`kernels/matmul.ts`). Folding into fixed-width
 * rows, rather than one texture row per matrix row, keeps any matrix shape
 * within the texture size limit and makes the copy from a buffer two
 * `copyBufferToTexture` calls.
 */
import { isSoftwareAdapter } from "./device.ts";

/** Texels per texture row. */
export const TEXELS_PER_ROW = 4096;
/** Bytes per texel: one `vec4<u32>`, `vec4<f32>` or 8 packed f16. */
export const TEXEL_BYTES = 16;
const ROW_BYTES = TEXELS_PER_ROW * TEXEL_BYTES;

/** WGSL of `texel(t, i)`, the i-th 16-byte element of a texel view. */
export const TEXEL_WGSL = /* wgsl */ `
fn texel(t: texture_storage_2d<rgba32uint, read>, i: u32) -> vec4u {
  return textureLoad(t, vec2u(i % ${TEXELS_PER_ROW}u, i / ${TEXELS_PER_ROW}u));
}
`;

/** WGSL type of a texel-view binding. */
export const TEXEL_BINDING_TYPE = "texture_storage_2d<rgba32uint, read>";

/** WGSL language feature that read-only storage textures need. */
const READ_ONLY_TEXTURES = "readonly_and_readwrite_storage_textures";

/**
 * Whether operands should be read through texel views on this device: on
 * software adapters, where WGSL has read-only storage textures.
 */
export function prefersTexels(device: GPUDevice): boolean {
  // Deno's GPU type does not declare wgslLanguageFeatures, which its runtime has.
  const features = (navigator.gpu as { wgslLanguageFeatures?: ReadonlySet<string> })
    .wgslLanguageFeatures;
  return isSoftwareAdapter(device) && (features?.has(READ_ONLY_TEXTURES) ?? false);
}

/** Texture rows holding `bytes`. */
export function texelRows(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / ROW_BYTES));
}

/** Bytes one texel view holds at most on this device. */
export function texelCapacity(device: GPUDevice): number {
  return device.limits.maxTextureDimension2D * ROW_BYTES;
}

/** Whether `bytes` (a whole number of texels) fit one texel view on this device. */
export function fitsTexels(device: GPUDevice, bytes: number): boolean {
  return bytes % TEXEL_BYTES === 0 && bytes <= texelCapacity(device);
}

/** An empty texel view of at least `bytes`, `rows` tall if given (which may exceed `bytes`'). */
export function createTexels(
  device: GPUDevice,
  bytes: number,
  label: string,
  rows = texelRows(bytes),
): GPUTexture {
  if (!fitsTexels(device, bytes) || rows > device.limits.maxTextureDimension2D) {
    throw new RangeError(
      `Texel view "${label}" of ${bytes} bytes does not fit: it needs whole 16-byte texels and at most ${device.limits.maxTextureDimension2D} rows of ${ROW_BYTES} bytes`,
    );
  }
  return device.createTexture({
    label,
    size: [TEXELS_PER_ROW, rows],
    format: "rgba32uint",
    usage: GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST,
  });
}

/** A texel view holding `data` (uploaded now, padded to whole rows). */
export function uploadTexels(
  device: GPUDevice,
  data: ArrayBufferView<ArrayBuffer>,
  label: string,
): GPUTexture {
  const rows = texelRows(data.byteLength);
  const texture = createTexels(device, Math.ceil(data.byteLength / 16) * 16, label);
  const padded = new Uint8Array(rows * ROW_BYTES);
  padded.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  device.queue.writeTexture({ texture }, padded, { bytesPerRow: ROW_BYTES }, [
    TEXELS_PER_ROW,
    rows,
  ]);
  return texture;
}

/** A copy of a buffer's first `bytes` into a texel view, recorded before the dispatch that reads it. */
export interface TexelCopy {
  source: GPUBuffer;
  /** A whole number of texels, at most the source's and the view's size. */
  bytes: number;
  texels: GPUTexture;
}

/** Encode `copy`: whole texture rows in one copy, the last partial row in another. */
export function encodeTexelCopy(encoder: GPUCommandEncoder, copy: TexelCopy): void {
  const { source, bytes, texels } = copy;
  const fullRows = Math.floor(bytes / ROW_BYTES);
  if (fullRows > 0) {
    encoder.copyBufferToTexture({ buffer: source, bytesPerRow: ROW_BYTES }, { texture: texels }, [
      TEXELS_PER_ROW,
      fullRows,
    ]);
  }
  const rest = (bytes - fullRows * ROW_BYTES) / TEXEL_BYTES;
  if (rest > 0) {
    encoder.copyBufferToTexture(
      { buffer: source, offset: fullRows * ROW_BYTES, bytesPerRow: ROW_BYTES },
      { texture: texels, origin: [0, fullRows] },
      [rest, 1],
    );
  }
}
