/**
 * Every Linear kernel side by side on this adapter: the register-blocked
 * `simd` kernel (shaped for llvmpipe's wide SIMD lanes) and the workgroup-
 * tiled `tiled` kernel (shaped for GPUs), with ONNX Runtime's CPU MatMul in
 * the same run, median of five. `defaultMatmulVariant` picks `simd` on a
 * software adapter and `tiled` on a GPU; this lab checks that choice.
 * Run: `deno run -A benchmarks/lab/matmul_variants.ts [f32|f16] [MxNxK,...] [variant,...]`
 * (on a GPU, add 4096x4096x4096, the shape issue 6 measures against the fp32
 * peak; name variants, e.g. `subgroup`, to time only those; a `/buffers`
 * suffix, e.g. `subgroup/buffers`, reads both operands from storage buffers
 * instead of the adapter's default, texel views on a software adapter).
 */
import { gemmBenchmark, type GemmShape } from "../gemm.ts";
import { defaultMatmulVariant, type MatmulVariant } from "../../kernels/matmul.ts";
import { acquireGpu } from "../../runtime/device.ts";
import type { Dtype } from "../../runtime/kernel.ts";
import { formatMedianRange } from "../format.ts";

const dtype = (Deno.args[0] ?? "f32") as Dtype;
const shapes: GemmShape[] = (Deno.args[1] ?? "1024x768x768,1024x3072x768")
  .split(",").map((s) => {
    const [m, n, k] = s.split("x").map(Number);
    return { m, n, k };
  });

const gpu = await acquireGpu();
console.log(
  `${gpu.description}, ${dtype}; default kernel: ${
    defaultMatmulVariant(gpu.device)
  }; GFLOP/s, median (min–max) of 5`,
);
const variants = (Deno.args[2] ?? "simd,subgroup,tiled").split(",");
for (const name of variants) {
  const [variant, residency] = name.split("/") as [MatmulVariant, string?];
  const texels = residency === "buffers" ? false : undefined;
  const results = await gemmBenchmark({ shapes, gpu, dtype, matmulVariant: variant, texels });
  for (const r of results) {
    console.log(
      `${name.padEnd(16)} ${`${r.m}x${r.n}x${r.k}`.padEnd(16)} ours ${
        formatMedianRange(r.webgpuGflops)
      }  ORT ${formatMedianRange(r.ortGflops)}  ours/ORT ${
        (r.webgpuGflops.median / r.ortGflops.median).toFixed(3)
      }`,
    );
  }
}
gpu.device.destroy();
