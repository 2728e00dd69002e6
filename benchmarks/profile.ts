/**
 * `bench --profile`: per model, the compute dispatches and command-buffer
 * submits of one forward pass and, with GPU timestamp queries, the time of
 * each kernel. Profiled passes run on their own engine instance after the
 * throughput measurement, so the throughput figures are never profiled; each
 * dispatch gets its own compute pass there, so the kernel times attribute a
 * pass's cost and are not throughput.
 */
import Table from "cli-table3";
import type { EncoderInput } from "../backends/backend.ts";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { createProfiler, type ForwardProfile } from "../backends/webgpu/profiler.ts";
import type { Model } from "../models/model.ts";
import type { Gpu } from "../runtime/device.ts";
import type { Dtype } from "../runtime/kernel.ts";
import { formatCount, formatNumber, formatPercent } from "./format.ts";

export type { ForwardProfile };

/** Profile `passes` forward passes of `model` on `input`, after `warmup` passes left out of the mean. */
export async function profileModel(
  gpu: Gpu,
  model: Model,
  input: EncoderInput,
  options: { warmup: number; passes: number; onStep?: () => void; dtype?: Dtype },
): Promise<ForwardProfile> {
  const profiler = createProfiler(gpu);
  const backend = await createWebGpuBackend(model, { gpu, profiler, dtype: options.dtype });
  try {
    for (let i = 0; i < options.warmup; i++) {
      await backend.run(input, ["pooledOutput"]);
      options.onStep?.();
    }
    profiler.reset();
    for (let i = 0; i < options.passes; i++) {
      await backend.run(input, ["pooledOutput"]);
      options.onStep?.();
    }
    return profiler.summary();
  } finally {
    backend.dispose();
    profiler.destroy();
  }
}

/** Print one model's profile: counts, then the kernel table sorted by time. */
export function printProfile(
  row: { name: string; batch: number; seqLen: number; profile: ForwardProfile },
  adapter: string,
): void {
  const p = row.profile;
  const passes = `${p.passes} profiled forward pass${p.passes === 1 ? "" : "es"}`;
  console.log(
    `\nProfile of ${row.name} (batch ${row.batch}, sequence ${row.seqLen}), per forward pass, mean of ${passes}:`,
  );
  console.log(
    `  ${formatCount(p.dispatches)} compute dispatches, ${
      p.copies ? `${formatCount(p.copies)} operand copies (untimed), ` : ""
    }${formatCount(p.submits)} command-buffer submit${p.submits === 1 ? "" : "s"}, ${
      formatCount(p.writes)
    } buffer writes; wall ${formatNumber(p.wallMs, 1)} ms${
      p.gpuMs === null ? "" : `, GPU ${formatNumber(p.gpuMs, 1)} ms (sum of dispatches)`
    }`,
  );
  const timed = p.gpuMs !== null;
  const table = new Table({
    head: timed
      ? ["kernel", "count/pass", "total ms", "share", "avg µs/dispatch"]
      : ["kernel", "count/pass"],
    colAligns: ["left", "right", "right", "right", "right"],
    style: { head: [], border: [], compact: true },
  });
  for (const k of p.kernels) {
    table.push(
      timed && k.ms !== null
        ? [
          k.name,
          formatNumber(k.count, 0),
          formatNumber(k.ms, 2),
          formatPercent(k.ms / p.gpuMs!),
          formatNumber((k.ms * 1000) / k.count, 1),
        ]
        : [k.name, formatNumber(k.count, 0)],
    );
  }
  console.log(table.toString());
  console.log(
    timed
      ? "Kernel times from GPU timestamp queries, share of the summed GPU time. Profiled passes run " +
        "one compute pass per dispatch, which changes batching: the times attribute cost to " +
        "kernels and are not throughput (see the table above for that)."
      : `Per-kernel times need GPU timestamp queries, and this adapter (${adapter}) lacks the ` +
        `"timestamp-query" feature: dispatch counts only.`,
  );
}
