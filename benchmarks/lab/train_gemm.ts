/**
 * Training-GEMM timer: the three products of a Linear layer (`kernels/gemm.ts`
 * layouts "nt" forward, "nn" input gradient, "tn" weight gradient) at
 * `rows × out × in` shapes, 5 back-to-back dispatches per submission (so the
 * submit's fixed cost counts once in 5, as in a training step), median of 5.
 * Run: `deno run -A benchmarks/lab/train_gemm.ts [rows×out×in ...]`.
 *
 * llvmpipe (Mesa 22.3, 2 cores), GFLOP/s nt/nn/tn, the 32 × 3 subgroup block
 * at 64 lanes → 64 × 2 at 32 lanes (2026-11-23, one run each):
 * 128×3072×768 43.1/41.4/29.0 → 48.5/50.1/33.1; 128×1024×1024
 * 26.4/26.0/20.2 → 38.0/38.3/27.5; 128×768×768 27.9/27.7/22.3 → 30.0/30.3/22.9.
 * Operands copied into texel views before each product, as the inference
 * GEMM reads them (`runtime/texels.ts`), tried the same day at these three
 * shapes: nt +3–10%, tn +4–8%, nn 4–17% slower. At 128 rows a product takes
 * 5–20 ms and copying its weight each time costs about what the cheaper
 * loads save, so the training GEMM keeps reading buffers.
 * C and the bias as vec4s where N, ldc and C's offset allow (2026-11-23):
 * tn 22.7/30.5/31.5 → 25.8/36.7/37.1 at the three shapes, nt and nn within
 * noise; walking row blocks first as the inference kernel does changed
 * nothing at 128 rows. These figures are wall time per product with a fifth
 * of a submit's fixed cost (about 10 ms on llvmpipe) in each, so they read
 * lower than `matmul_variants.ts` at the same shapes.
 */
import { acquireGpu } from "../../runtime/device.ts";
import { KernelRuntime, submitDispatches } from "../../runtime/kernel.ts";
import { dispatchGemm } from "../../kernels/gemm.ts";
import { median } from "../../runtime/stats.ts";

const BACK_TO_BACK = 5, REPS = 5;
const shapes = (Deno.args.length > 0 ? Deno.args : ["128x768x768", "128x3072x768", "128x768x3072"])
  .map((s) => s.split(/[x×]/).map(Number));

const { device, description } = await acquireGpu();
const runtime = new KernelRuntime(device);
/** A storage buffer of `n` random f32 values. */
function randomBuffer(n: number): GPUBuffer {
  const buffer = device.createBuffer({
    size: n * 4,
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, new Float32Array(n).map(() => Math.random() - 0.5));
  return buffer;
}

console.log(`${description}: GFLOP/s, median of ${REPS}`);
for (const [rows, out, inn] of shapes) {
  const x = randomBuffer(rows * inn), w = randomBuffer(out * inn);
  const z = randomBuffer(rows * out), dx = randomBuffer(rows * inn), dw = randomBuffer(out * inn);
  const products = {
    "nt (Z = X·Wᵀ)": await dispatchGemm(runtime, {
      a: { buffer: x },
      b: { buffer: w, transpose: true },
      c: { buffer: z },
      m: rows,
      n: out,
      k: inn,
    }),
    "nn (dX = dZ·W)": await dispatchGemm(runtime, {
      a: { buffer: z },
      b: { buffer: w },
      c: { buffer: dx },
      m: rows,
      n: inn,
      k: out,
    }),
    "tn (dW += dZᵀ·X)": await dispatchGemm(runtime, {
      a: { buffer: z, transpose: true },
      b: { buffer: x },
      c: { buffer: dw },
      m: out,
      n: inn,
      k: rows,
      accumulate: true,
    }),
  };
  for (const [name, dispatch] of Object.entries(products)) {
    const submit = async () => {
      const start = performance.now();
      submitDispatches(device, ...Array(BACK_TO_BACK).fill([dispatch]));
      await device.queue.onSubmittedWorkDone();
      return (performance.now() - start) / BACK_TO_BACK;
    };
    await submit();
    const times: number[] = [];
    for (let i = 0; i < REPS; i++) times.push(await submit());
    const ms = median(times);
    console.log(
      `${rows}×${out}×${inn} ${name.padEnd(18)} ${ms.toFixed(1).padStart(6)} ms ${
        (2 * rows * out * inn / ms / 1e6).toFixed(1).padStart(6)
      }`,
    );
  }
  for (const b of [x, w, z, dx, dw]) b.destroy();
}
device.destroy();
