/**
 * WebGPU adapter and device acquisition. The device asks for the adapter's own
 * buffer limits (the defaults are far below what large models need) and for
 * `shader-f16`, `timestamp-query` and `subgroups` when the adapter has them.
 */
import type { Dtype } from "./kernel.ts";

/** A device with the adapter facts that run records carry. */
export interface Gpu {
  /** The device: the adapter's buffer and workgroup limits, its `shader-f16`/`timestamp-query`. */
  device: GPUDevice;
  /** e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
  description: string;
  /** Adapter vendor as WebGPU reports it (e.g. "nvidia"); may be empty. */
  vendor: string;
  /** Adapter architecture as WebGPU reports it; may be empty. */
  architecture: string;
  /** Every feature the adapter offers, sorted (not only those the device enabled). */
  features: string[];
  /** Limits the device was created with (the adapter's own): bytes, or invocations. */
  limits: {
    maxStorageBufferBindingSize: number;
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
  };
  /** Whether the device has `timestamp-query` (GPU timing of forward passes). */
  hasTimestamps: boolean;
  /** Whether the device has `shader-f16` (needed for `--dtype f16`). */
  hasF16: boolean;
}

/** Raised when `--dtype f16` is asked of an adapter without `shader-f16`. */
export class DtypeUnsupportedError extends Error {
  /** Always `"DtypeUnsupportedError"`, so `error.name` and stack traces tell it apart. */
  override name = "DtypeUnsupportedError";
}

/** Throw `DtypeUnsupportedError`, naming the adapter, unless `gpu` can store `dtype`. */
export function assertDtypeSupported(gpu: Gpu, dtype: Dtype): void {
  if (dtype === "f16" && !gpu.hasF16) {
    throw new DtypeUnsupportedError(
      `--dtype f16 needs the WebGPU feature shader-f16, which the adapter "${gpu.description}" does not have (its features: ${
        gpu.features.join(", ") || "none"
      }); use --dtype f32`,
    );
  }
}

/**
 * Whether `device` runs on a software adapter (llvmpipe, lavapipe,
 * SwiftShader): a CPU, where kernels are shaped for wide SIMD lanes rather
 * than for a GPU's workgroup memory.
 */
export function isSoftwareAdapter(device: GPUDevice): boolean {
  const info = (device as { adapterInfo?: { description?: string; isFallbackAdapter?: boolean } })
    .adapterInfo;
  return Boolean(info?.isFallbackAdapter) ||
    /llvmpipe|lavapipe|swiftshader/i.test(info?.description ?? "");
}

/**
 * The subgroup size kernels may bake in: the device has `subgroups` and its
 * adapter runs every subgroup at one size (llvmpipe: 8, its SIMD width), which
 * divides each of `dividing` (a kernel's block and workgroup sizes).
 * Undefined otherwise.
 */
export function fixedSubgroupSize(device: GPUDevice, dividing: number[] = []): number | undefined {
  if (!device.features.has(SUBGROUPS)) return undefined;
  const info = (device as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } })
    .adapterInfo;
  const size = info?.subgroupMinSize;
  if (size === undefined || size <= 0 || size !== info?.subgroupMaxSize) return undefined;
  return dividing.every((n) => n % size === 0) ? size : undefined;
}

/**
 * The subgroup size kernels shaped for a CPU's SIMD lanes build on by
 * default: `fixedSubgroupSize` on a software adapter (llvmpipe: 8, one
 * 256-bit register of f32), else undefined (GPUs run kernels without subgroup
 * builtins).
 */
export function simdSubgroupSize(device: GPUDevice, dividing: number[] = []): number | undefined {
  return isSoftwareAdapter(device) ? fixedSubgroupSize(device, dividing) : undefined;
}

/** Raised when no WebGPU adapter can be found or a device cannot be created. */
export class GpuUnavailableError extends Error {
  /** Always `"GpuUnavailableError"`, so `error.name` and stack traces tell it apart. */
  override name = "GpuUnavailableError";
}

const OPTIONAL_FEATURES: GPUFeatureName[] = ["shader-f16", "timestamp-query"];

// Mesa's Vulkan WSI warns on every start without a runtime dir; give it a private one.
function ensureRuntimeDir(): void {
  if (!Deno.env.get("XDG_RUNTIME_DIR")) {
    Deno.env.set("XDG_RUNTIME_DIR", Deno.makeTempDirSync({ prefix: "xdg-runtime-" }));
  }
}

/** Whether this runtime has a WebGPU adapter at all (for skipping GPU tests). */
export async function hasWebGpuAdapter(): Promise<boolean> {
  ensureRuntimeDir();
  const adapter = await globalThis.navigator?.gpu?.requestAdapter().catch(() => null);
  return Boolean(adapter);
}

/** Request an adapter and a device; throws `GpuUnavailableError` with a hint when there is none. */
export async function acquireGpu(
  options: { powerPreference?: GPUPowerPreference } = {},
): Promise<Gpu> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new GpuUnavailableError(
      "WebGPU is not available in this runtime (navigator.gpu is undefined)",
    );
  }
  ensureRuntimeDir();
  const requestAdapter = async () => {
    const adapter = await gpu.requestAdapter({
      powerPreference: options.powerPreference ?? "high-performance",
    });
    if (!adapter) {
      throw new GpuUnavailableError(
        "No WebGPU adapter found: install a Vulkan driver (Debian: apt-get install mesa-vulkan-drivers) or run on a machine with a GPU",
      );
    }
    return adapter;
  };
  let adapter = await requestAdapter();
  const offered = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  // Deno does not list `subgroups` among an adapter's features even where the
  // device can have it (llvmpipe), so ask for it and fall back on a fresh
  // adapter (a refused request may leave the first one unusable).
  let device = await requestDevice(adapter, [...offered, SUBGROUPS]).catch(() => undefined);
  if (!device) {
    adapter = await requestAdapter();
    device = await requestDevice(adapter, offered).catch((error: Error) => {
      throw new GpuUnavailableError(`Cannot create a WebGPU device: ${error.message}`);
    });
  }
  const limits = adapter.limits;
  const info = adapter.info;
  return {
    device,
    description: info.description || info.device || "unknown adapter",
    vendor: info.vendor,
    architecture: info.architecture,
    features: [...new Set([...adapter.features, ...device.features])].sort(),
    limits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
    hasTimestamps: device.features.has("timestamp-query"),
    hasF16: device.features.has("shader-f16"),
  };
}

const SUBGROUPS = "subgroups" as GPUFeatureName;

/** A device with `features` and the adapter's own limits for buffers and workgroups. */
function requestDevice(
  adapter: GPUAdapter,
  requiredFeatures: GPUFeatureName[],
): Promise<GPUDevice> {
  const limits = adapter.limits;
  return adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: limits.maxComputeWorkgroupSizeY,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
      // Texel views (`texels.ts`) hold up to this many rows of 64 KiB.
      maxTextureDimension2D: limits.maxTextureDimension2D,
    },
  });
}
