/**
 * The small WebGPU runtime the kernels share: a kernel is described as data
 * (name, storage bindings, uniforms, workgroup size, WGSL body), its binding
 * declarations are generated from that description so host code and WGSL
 * cannot drift apart, and compiled pipelines are cached under a variant key.
 */

import { encodeTexelCopy, TEXEL_BINDING_TYPE, TEXEL_WGSL, type TexelCopy } from "./texels.ts";

/** One storage buffer binding; binding indices follow the array order. */
export interface StorageBinding {
  name: string;
  /** WGSL element type of the runtime-sized array, e.g. `f32`, `vec4<f32>`, `u32`. */
  element: string;
  access: "read" | "read_write";
  /**
   * Bound as a texel view (`runtime/texels.ts`) instead of a buffer: a
   * read-only storage texture the body reads with `texel(name, i)` (a
   * `vec4<u32>`); `element` is then what the body makes of it.
   */
  texels?: boolean;
}

/** A scalar uniform field of the kernel's `Params` struct. */
export interface UniformField {
  name: string;
  type: "u32" | "f32";
}

/** A compute kernel described as data. */
export interface KernelSpec {
  /** Kernel name used in error messages, e.g. `matmul`. */
  name: string;
  /** Cache key of this variant, e.g. `matmul,act=gelu,vec4` (the runtime adds the dtype). */
  key: string;
  storage: StorageBinding[];
  uniforms: UniformField[];
  workgroupSize: number;
  /** WGSL after the generated declarations; its entry point is `main`. */
  body: string;
  /**
   * Storage type of activations, declared as the WGSL alias `act_t` (bindings
   * may use it as their element); `f16` also enables the `f16` extension.
   * Kernel bodies convert with `f32(…)` on load and `act_t(…)` on store, so
   * one body serves both precisions. Default `f32`.
   */
  dtype?: Dtype;
}

/** Storage precision of activations and Linear weights. */
export type Dtype = "f32" | "f16";

/** Bytes of one element of a dtype. */
export function dtypeBytes(dtype: Dtype): number {
  return dtype === "f16" ? 2 : 4;
}

/** A recorded dispatch: a pipeline with its bind group and grid. */
export interface Dispatch {
  name: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  /** Uniform buffer owned by this dispatch (destroyed with its plan). */
  uniformBuffer?: GPUBuffer;
  /** A buffer copied into a texel view just before this dispatch, outside any compute pass. */
  before?: TexelCopy;
}

/** Raised when a kernel fails to compile; the message names the kernel. */
export class KernelCompileError extends Error {
  override name = "KernelCompileError";
}

/** Largest workgroup count per grid dimension that WebGPU guarantees. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** Split a 1-D workgroup count over x and y so each stays within the limit. */
export function grid1d(workgroups: number): [number, number, number] {
  if (workgroups <= MAX_WORKGROUPS_PER_DIMENSION) return [Math.max(1, workgroups), 1, 1];
  const y = Math.ceil(workgroups / MAX_WORKGROUPS_PER_DIMENSION);
  return [Math.ceil(workgroups / y), y, 1];
}

/** Generate the WGSL source of a kernel spec. */
export function kernelSource(spec: KernelSpec): string {
  const lines: string[] = [];
  const dtype = spec.dtype ?? "f32";
  if (dtype === "f16") lines.push("enable f16;");
  lines.push(`alias act_t = ${dtype};`);
  spec.storage.forEach((b, i) => {
    lines.push(
      b.texels
        ? `@group(0) @binding(${i}) var ${b.name}: ${TEXEL_BINDING_TYPE};`
        : `@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${b.element}>;`,
    );
  });
  if (spec.storage.some((b) => b.texels)) lines.push(TEXEL_WGSL);
  if (spec.uniforms.length > 0) {
    lines.push(`struct Params { ${spec.uniforms.map((u) => `${u.name}: ${u.type},`).join(" ")} }`);
    lines.push(`@group(0) @binding(${spec.storage.length}) var<uniform> params: Params;`);
  }
  lines.push(`const WORKGROUP_SIZE = ${spec.workgroupSize}u;`);
  return `${lines.join("\n")}\n${spec.body}`;
}

/** Compiles kernels once per variant and records dispatches. */
export class KernelRuntime {
  #pipelines = new Map<string, Promise<GPUComputePipeline>>();

  constructor(readonly device: GPUDevice) {}

  /**
   * The compiled pipeline of a kernel variant (compiled on first use), cached
   * under its key and storage dtype, so a spec's key need not name the dtype.
   */
  pipeline(spec: KernelSpec): Promise<GPUComputePipeline> {
    const key = `${spec.key},${spec.dtype ?? "f32"}`;
    let pipeline = this.#pipelines.get(key);
    if (!pipeline) {
      pipeline = this.#compile({ ...spec, key });
      this.#pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  async #compile(spec: KernelSpec): Promise<GPUComputePipeline> {
    const code = kernelSource(spec);
    this.device.pushErrorScope("validation");
    const module = this.device.createShaderModule({ label: spec.key, code });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === "error");
    const scopeError = await this.device.popErrorScope();
    if (errors.length > 0 || scopeError) {
      const detail = errors.map((m) => `line ${m.lineNum}: ${m.message}`).join("; ") ||
        scopeError?.message;
      throw new KernelCompileError(`Kernel "${spec.key}" failed to compile: ${detail}`);
    }
    try {
      return await this.device.createComputePipelineAsync({
        label: spec.key,
        layout: "auto",
        compute: { module, entryPoint: "main" },
      });
    } catch (error) {
      throw new KernelCompileError(
        `Kernel "${spec.key}" failed to build a pipeline: ${(error as Error).message}`,
      );
    }
  }

  /**
   * Record a dispatch of `spec` over `buffers` (in binding order; a texel
   * view for each `texels` binding) with uniform values, after `before`.
   */
  async dispatch(
    spec: KernelSpec,
    buffers: (GPUBuffer | GPUTexture)[],
    uniforms: number[],
    workgroups: [number, number, number],
    before?: TexelCopy,
  ): Promise<Dispatch> {
    if (buffers.length !== spec.storage.length || uniforms.length !== spec.uniforms.length) {
      throw new Error(
        `Kernel "${spec.key}" expects ${spec.storage.length} buffers and ${spec.uniforms.length} uniforms, got ${buffers.length} and ${uniforms.length}`,
      );
    }
    const entries: GPUBindGroupEntry[] = buffers.map((resource, binding) => {
      const { name, texels = false } = spec.storage[binding];
      if (texels !== resource instanceof GPUTexture) {
        throw new TypeError(
          `Kernel "${spec.key}" binds "${name}" as a ${texels ? "texel view" : "buffer"}, got a ${
            texels ? "buffer" : "texture"
          }`,
        );
      }
      return {
        binding,
        resource: resource instanceof GPUTexture ? resource.createView() : { buffer: resource },
      };
    });
    const pipeline = await this.pipeline(spec);
    let uniformBuffer: GPUBuffer | undefined;
    if (uniforms.length > 0) {
      uniformBuffer = this.device.createBuffer({
        label: `${spec.name}.params`,
        size: Math.max(16, Math.ceil((uniforms.length * 4) / 16) * 16),
        usage: GPUBufferUsage.UNIFORM,
        mappedAtCreation: true,
      });
      const mapped = uniformBuffer.getMappedRange();
      const u32 = new Uint32Array(mapped);
      const f32 = new Float32Array(mapped);
      spec.uniforms.forEach((field, i) => {
        if (field.type === "u32") u32[i] = uniforms[i];
        else f32[i] = uniforms[i];
      });
      uniformBuffer.unmap();
      entries.push({ binding: buffers.length, resource: { buffer: uniformBuffer } });
    }
    const bindGroup = this.device.createBindGroup({
      label: spec.name,
      layout: pipeline.getBindGroupLayout(0),
      entries,
    });
    return { name: spec.name, pipeline, bindGroup, workgroups, uniformBuffer, before };
  }
}

/**
 * Encode dispatches into compute passes (WebGPU orders storage accesses
 * between them): one pass, or a new one after each dispatch's `before` copy,
 * which must sit outside a pass. `timestampWrites` marks the start of the
 * first pass and the end of the last.
 */
export function encodeDispatches(
  encoder: GPUCommandEncoder,
  dispatches: Dispatch[],
  timestampWrites?: { querySet: GPUQuerySet; begin: number; end: number },
): void {
  const passes: Dispatch[][] = [];
  for (const d of dispatches) {
    if (d.before || passes.length === 0) passes.push([]);
    passes.at(-1)!.push(d);
  }
  if (passes.length === 0) passes.push([]);
  passes.forEach((list, i) => {
    if (list[0]?.before) encodeTexelCopy(encoder, list[0].before);
    const [first, last] = [i === 0, i === passes.length - 1];
    // A pass in the middle writes no timestamps (WebGPU refuses writes with neither index).
    const writes = timestampWrites && (first || last) && {
      querySet: timestampWrites.querySet,
      ...(first ? { beginningOfPassWriteIndex: timestampWrites.begin } : {}),
      ...(last ? { endOfPassWriteIndex: timestampWrites.end } : {}),
    };
    const pass = encoder.beginComputePass({
      label: list[0]?.name,
      ...(writes ? { timestampWrites: writes } : {}),
    });
    for (const d of list) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
    pass.end();
  });
}

/** Encode lists of dispatches (as `encodeDispatches`) and submit them. */
export function submitDispatches(device: GPUDevice, ...lists: Dispatch[][]): void {
  const encoder = device.createCommandEncoder();
  encodeDispatches(encoder, lists.flat());
  device.queue.submit([encoder.finish()]);
}

/** Copy `count` floats of `buffer` (from float `offset`) back to the CPU; waits for the GPU. */
export async function readFloats(
  device: GPUDevice,
  buffer: GPUBuffer,
  count: number,
  offset = 0,
): Promise<Float32Array<ArrayBuffer>> {
  return (await readFloatRegions(device, [{ buffer, count, offset }]))[0];
}

/** A run of floats in a GPU buffer: `count` floats from float `offset`. */
export interface FloatRegion {
  buffer: GPUBuffer;
  count: number;
  offset?: number;
}

/** Read several regions back with one copy submission and one map (one GPU round trip). */
export async function readFloatRegions(
  device: GPUDevice,
  regions: FloatRegion[],
): Promise<Float32Array<ArrayBuffer>[]> {
  const total = regions.reduce((n, r) => n + r.count, 0);
  const staging = device.createBuffer({
    size: Math.max(4, total * 4),
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    const encoder = device.createCommandEncoder();
    let at = 0;
    for (const { buffer, count, offset = 0 } of regions) {
      if (count > 0) encoder.copyBufferToBuffer(buffer, offset * 4, staging, at * 4, count * 4);
      at += count;
    }
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const all = staging.getMappedRange();
    at = 0;
    return regions.map(({ count }) => {
      const part = new Float32Array(all.slice(at * 4, (at + count) * 4));
      at += count;
      return part;
    });
  } finally {
    staging.destroy();
  }
}
