/**
 * Load-cost probe: what one load costs on this adapter, by kind. Each
 * invocation runs a loop of `ITERATIONS` steps doing one kind of load; the
 * time per step for 8 invocations (one llvmpipe SIMD register) minus the
 * empty loop's is the load's cost. Run: `deno run -A benchmarks/lab/load_cost.ts`.
 *
 * On llvmpipe (Mesa 22.3, 2-core AVX-512 Xeon), in ns per 8-lane step:
 * empty loop with one FMA 9.5; + a per-lane vec4 storage load 21; + the same
 * vec4 at one address in every lane 16; + four scalar loads 37; + one scalar
 * load 8; + a vec4 workgroup-memory load 10; + a per-lane vec4 from a texel
 * view (`runtime/texels.ts`, a read-only storage texture) 4 (2026-11-23:
 * 9.7, 31.3, 25.2, 46.7, 17.6, 19.7 and 13.9 in all). So a storage load costs
 * about 4 ns per component whatever the address pattern, and an FMA (0.2 ns
 * when its accumulator stays in a register, about 1 ns when spilled) is cheap
 * next to it: the GEMM kernels are designed around FMAs per loaded
 * component, and read both operands through texel views, whose loads
 * llvmpipe vectorises instead of looping over lanes.
 * Mesa 25.0 (bookworm-backports) measured the same within 20%. Uniform
 * buffers read at constant offsets do become scalar loads, but each carries a
 * bounds check and a branch, so they were no faster in the GEMM (lab notes in
 * `gemm_lab.ts`).
 */
import { acquireGpu } from "../../runtime/device.ts";
import { medianDispatchMs } from "./_dispatch_timer.ts";
import { createTexels, TEXEL_BINDING_TYPE, TEXEL_WGSL } from "../../runtime/texels.ts";

const ITERATIONS = 4096, WORKGROUP = 64, WORKGROUPS = 256;

const KINDS: Record<string, string> = {
  "empty (one FMA)": `acc = fma(acc, acc, vec4f(f32(i)));`,
  "vec4, per lane": `acc += a[(i * 64u + lid.x) & 65535u];`,
  "vec4, one address": `acc += a[(i * 64u) & 65535u];`,
  "4 × f32, per lane": `let b = (i * 64u + lid.x) & 65535u;
    acc += vec4f(s[4u * b], s[4u * b + 1u], s[4u * b + 2u], s[4u * b + 3u]);`,
  "f32, per lane": `acc.x += s[(i * 64u + lid.x) & 262143u];`,
  "vec4, workgroup memory": `acc += tile[(i + lid.x) & 1023u];`,
  "vec4, texel view per lane": `acc += bitcast<vec4f>(texel(t, (i * 64u + lid.x) & 65535u));`,
};

const { device, description } = await acquireGpu();
const a = device.createBuffer({ size: 65536 * 16, usage: GPUBufferUsage.STORAGE });
const s = device.createBuffer({ size: 262144 * 4, usage: GPUBufferUsage.STORAGE });
const texels = createTexels(device, 65536 * 16, "texels");
const out = device.createBuffer({
  size: WORKGROUP * WORKGROUPS * 16,
  usage: GPUBufferUsage.STORAGE,
});
console.log(`${description}: ns per step of 8 invocations (median of 5)`);
for (const [name, step] of Object.entries(KINDS)) {
  const code = `
@group(0) @binding(0) var<storage, read> a: array<vec4f>;
@group(0) @binding(1) var<storage, read> s: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4f>;
@group(0) @binding(3) var t: ${TEXEL_BINDING_TYPE};
var<workgroup> tile: array<vec4f, 1024>;
${TEXEL_WGSL}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  var acc = vec4f(0.0);
  tile[lid.x] = vec4f(1.0);
  workgroupBarrier();
  for (var i = 0u; i < ${ITERATIONS}u; i++) { ${step} }
  // Every binding is used so "auto" layouts keep them all.
  out[gid.x] = acc + a[0] + vec4f(s[0]) + bitcast<vec4f>(texel(t, 0u));
}`;
  const pipeline = await device.createComputePipelineAsync({
    layout: "auto",
    compute: { module: device.createShaderModule({ code }), entryPoint: "main" },
  });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      ...[a, s, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
      { binding: 3, resource: texels.createView() },
    ],
  });
  const ms = await medianDispatchMs(device, { pipeline, bindGroup, grid: [WORKGROUPS] });
  // Core-nanoseconds per 8-invocation step: wall time × cores / (steps × invocations / 8).
  const cores = navigator.hardwareConcurrency;
  const ns = ms * 1e6 * cores / (ITERATIONS * WORKGROUP * WORKGROUPS / 8);
  console.log(`${name.padEnd(24)} ${ns.toFixed(1).padStart(6)}`);
}
device.destroy();
