/**
 * Driver ALU ceiling probe: a kernel that only runs register FMAs (no loads),
 * timed like the GEMM lab. It bounds what any GEMM kernel can reach on this
 * adapter, e.g. llvmpipe (Mesa 22.3) on a 2-core AVX-512 Xeon: 50 GFLOP/s
 * with 8 accumulators at 4096 iterations, where the submit's fixed cost of
 * about 10 ms still shows, and about 100 GFLOP/s at 32768 iterations with 12;
 * ONNX Runtime's MatMul reaches 190–300 GFLOP/s there.
 *
 * 2026-11-23, 32768 iterations, one run each: 8, 12, 16, 20 and 28
 * accumulators ran at 89, 95–102, 98, 104 and 110 GFLOP/s, 24 at 49152 and 65536
 * iterations at 111 and 112, and `LP_NATIVE_VECTOR_WIDTH=512` changed
 * nothing (102 at 12). So llvmpipe's arithmetic ceiling here is about
 * 100–112 GFLOP/s: it lowers `fma` to a multiply and an add (Mesa's
 * `lower_ffma32`), and 30% of ONNX Runtime's 286–302 GFLOP/s at
 * 1024×768×3072 is 86–91, some 80% of that ceiling before any load. (24
 * accumulators at exactly 32768 iterations timed 168 in three runs, with
 * correct results, against 104 at 16384; with other constants for `m` and
 * `b` the same shape ran at 108, so that figure is a data-dependent artefact,
 * not a faster code path.) f16
 * accumulators run at 13.5: llvmpipe converts every f16 operation to f32 and
 * back, though the CPU has AVX512-FP16, so f16 only pays as storage.
 * Run: `deno run -A benchmarks/lab/alu_ceiling.ts [accumulators] [iterations] [f32|f16]`.
 */
import { acquireGpu } from "../../runtime/device.ts";
import { medianDispatchMs } from "./_dispatch_timer.ts";

const accumulators = Number(Deno.args[0] ?? 8);
const iterations = Number(Deno.args[1] ?? 4096);
const type = Deno.args[2] ?? "f32";
const workgroupSize = 64, workgroups = 64, unroll = 4;

const range = (n: number) => [...Array(n).keys()];
const code = `${type === "f16" ? "enable f16;" : ""}
@group(0) @binding(0) var<storage, read_write> out: array<vec4f>;
@compute @workgroup_size(${workgroupSize})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  ${
  range(accumulators).map((i) => `var acc${i} = vec4<${type}>(${type}(lid.x + ${i}u));`).join(
    "\n  ",
  )
}
  let m = vec4<${type}>(0.999, 0.998, 0.997, 0.996);
  let b = vec4<${type}>(0.001);
  for (var it = 0u; it < ${iterations / unroll}u; it++) {
    ${
  range(unroll * accumulators).map((i) =>
    `acc${i % accumulators} = fma(acc${i % accumulators}, m, b);`
  )
    .join("\n    ")
}
  }
  out[gid.x] = vec4f(${range(accumulators).map((i) => `acc${i}`).join(" + ")});
}`;

const { device, description } = await acquireGpu();
const module = device.createShaderModule({ code });
const pipeline = await device.createComputePipelineAsync({
  layout: "auto",
  compute: { module, entryPoint: "main" },
});
const out = device.createBuffer({
  size: workgroupSize * workgroups * 16,
  usage: GPUBufferUsage.STORAGE,
});
const bindGroup = device.createBindGroup({
  layout: pipeline.getBindGroupLayout(0),
  entries: [{ binding: 0, resource: { buffer: out } }],
});
const ms = await medianDispatchMs(device, { pipeline, bindGroup, grid: [workgroups] });
const flops = 2 * 4 * accumulators * iterations * workgroupSize * workgroups;
console.log(
  `${description}: ${accumulators} vec4<${type}> accumulators, ${ms.toFixed(1)} ms, ` +
    `${(flops / ms / 1e6).toFixed(1)} GFLOP/s (median of 5)`,
);
device.destroy();
