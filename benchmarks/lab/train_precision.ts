/**
 * Mixed-precision training lab: the same training step (`bench --train`'s:
 * a seeded two-way classifier on a synthetic batch) timed in f32 and in f16
 * mixed precision side by side in one run, median tokens/s of 5 timed steps
 * after 2 warm-ups each, and the f16/f32 ratio with the widest interval the
 * two ranges allow.
 *
 * Run: `deno run -A benchmarks/lab/train_precision.ts [models] [batch] [seqLen]`
 * (default `albert-base-v2,bert-base-uncased 2 64`, the default suite's shape).
 */
import { formatMedianRange } from "../format.ts";
import { measureTrainThroughput } from "../train_throughput.ts";
import { resolveModel } from "../../models/resolve.ts";
import { acquireGpu } from "../../runtime/device.ts";
import { ratioSpread, type Spread } from "../../runtime/stats.ts";

const models = (Deno.args[0] ?? "albert-base-v2,bert-base-uncased").split(",");
const batch = Number(Deno.args[1] ?? 2), seqLen = Number(Deno.args[2] ?? 64);
const gpu = await acquireGpu();
console.log(`${gpu.description}; batch ${batch}, sequence ${seqLen}; tokens/s`);
console.log("model               f32                 f16 mixed           f16/f32");
for (const name of models) {
  const model = await resolveModel(name, { seed: 0 });
  const results: Spread[] = [];
  for (const dtype of ["f32", "f16"] as const) {
    const { tokensPerSecond } = await measureTrainThroughput(gpu, model, {
      batch,
      seqLen,
      warmup: 2,
      reps: 5,
      dtype,
    });
    results.push(tokensPerSecond);
  }
  console.log(
    `${name.padEnd(19)} ${formatMedianRange(results[0], 1).padEnd(19)} ${
      formatMedianRange(results[1], 1).padEnd(19)
    } ${formatMedianRange(ratioSpread(results[1], results[0]), 2)}×`,
  );
}
gpu.device.destroy();
