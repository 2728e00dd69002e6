/** Terminal tables of the `bench` command (`cli-table3`), in the papers' column order. */
import { median } from "../runtime/stats.ts";
import Table from "cli-table3";
import { formatCount, formatMedianRange, formatNumber, formatSpeedup, MISSING } from "./format.ts";
import type { ModelBench, ModelTrainBench } from "./measure.ts";
import { peerLabel } from "./peers.ts";
import { SPEEDUP_REFERENCE } from "./suites.ts";
import type { GemmResult } from "./gemm.ts";

const style = { head: [], border: [], compact: true };

/** Print the model throughput table with its note and adapter; peers add two columns each. */
export function printModelTable(
  rows: ModelBench[],
  context: { note: string; adapter: string; peers?: string[]; dtype?: string },
) {
  const peers = context.peers ?? [];
  const ours = context.dtype === "f16" ? "WebGPU f16" : "WebGPU";
  const table = new Table({
    head: [
      "model",
      "params",
      "batch×seq",
      `${ours} seq/s`,
      "tokens/s",
      "latency p50/p90/p99 ms",
      "ORT seq/s",
      `${ours}/ORT`,
      ...peers.flatMap((peer) => [`${peerLabel(peer)} seq/s`, `${ours}/${peerLabel(peer)}`]),
      "speed-up",
    ],
    style,
  });
  for (const row of rows) {
    const latency = row.details.webgpu.latencyMs;
    table.push([
      row.name,
      formatCount(row.params),
      `${row.batch}×${row.seqLen}`,
      formatMedianRange(row.webgpu, 2),
      formatNumber(row.details.webgpu.tokensPerSecond.median, 0),
      `${formatNumber(latency.p50, 0)}/${formatNumber(latency.p90, 0)}/${
        formatNumber(latency.p99, 0)
      }`,
      formatMedianRange(row.ort, 2),
      formatSpeedup(row.webgpuOverOrt),
      ...peers.flatMap((peer) => {
        const spread = row.peers?.[peer];
        const ratio = row.webgpuOverPeers?.[peer];
        return [
          spread ? formatMedianRange(spread, 2) : MISSING,
          ratio === undefined ? MISSING : formatSpeedup(ratio),
        ];
      }),
      row.speedup === null ? MISSING : formatSpeedup(row.speedup, 1),
    ]);
  }
  console.log(`Adapter: ${context.adapter}`);
  console.log(table.toString());
  const peerNote = peers.length === 0
    ? ""
    : ` Peers (${peers.join(", ")}) ran the same batch in this run after ORT.`;
  console.log(
    `Median (min–max) of the timed repetitions.${peerNote} Speed-up: WebGPU throughput relative to ${SPEEDUP_REFERENCE} in this run${
      rows.some((r) => r.speedup === null) ? ` (— when ${SPEEDUP_REFERENCE} is not in the run)` : ""
    }.${f16Note(context.dtype)}\n${context.note}`,
  );
}

/** The table note of an f16 run: what is f16 and what is not. */
function f16Note(dtype: string | undefined): string {
  return dtype === "f16"
    ? " WebGPU f16 stores weights and activations in f16 and computes in f32; ORT and the peers run f32."
    : "";
}

/** Print the GEMM table: GFLOP/s of each engine and its ratio to ours. */
export function printGemmTable(rows: GemmResult[], adapter: string, dtype?: string) {
  const peers = [...new Set(rows.flatMap((row) => Object.keys(row.peerGflops ?? {})))];
  const ours = dtype === "f16" ? "WebGPU f16" : "WebGPU";
  const table = new Table({
    head: [
      "m×n×k",
      `${ours} GFLOP/s`,
      "ORT GFLOP/s",
      `${ours}/ORT`,
      ...peers.flatMap((p) => [`${peerLabel(p)} GFLOP/s`, `${ours}/${peerLabel(p)}`]),
    ],
    style,
  });
  for (const row of rows) {
    table.push([
      `${row.m}×${row.n}×${row.k}`,
      formatMedianRange(row.webgpuGflops),
      formatMedianRange(row.ortGflops),
      formatSpeedup(row.webgpuGflops.median / row.ortGflops.median),
      ...peers.flatMap((p) => {
        const peer = row.peerGflops?.[p];
        return peer
          ? [formatMedianRange(peer), formatSpeedup(row.webgpuGflops.median / peer.median)]
          : [MISSING, MISSING];
      }),
    ]);
  }
  console.log(`Adapter: ${adapter}`);
  console.log(table.toString());
  console.log(
    `Median (min–max) of the timed repetitions, every engine in this run.${f16Note(dtype)}`,
  );
  const counts = [...new Set(rows.map((row) => row.dispatchesPerSubmit))].filter(Boolean);
  if (counts.length > 0) {
    const submitMs = median(rows.map((row) => row.submitMs));
    console.log(
      `WebGPU: ${
        counts.join("/")
      } back-to-back dispatches per timed submission (shape by shape), so the ${
        submitMs.toFixed(1)
      } ms an empty submission takes here counts once per submission, as in a forward pass.`,
    );
  }
}

/** Print the training-throughput table (ALBERT Table 2's speed-up is training speed). */
export function printTrainTable(
  rows: ModelTrainBench[],
  context: { note: string; adapter: string; dtype?: string },
) {
  const precision = context.dtype === "f16" ? " (f16 mixed)" : "";
  const table = new Table({
    head: ["model", "params", "batch×seq", `train tokens/s${precision}`, "step ms", "speed-up"],
    style,
  });
  for (const row of rows) {
    table.push([
      row.name,
      formatCount(row.params),
      `${row.batch}×${row.seqLen}`,
      formatMedianRange(row.tokensPerSecond, 0),
      formatNumber(row.details.stepMs.median, 0),
      row.speedup === null ? MISSING : formatSpeedup(row.speedup, 1),
    ]);
  }
  console.log(`Adapter: ${context.adapter}`);
  console.log(table.toString());
  console.log(
    `Training step (forward, loss, backward, clipping, AdamW): median (min–max) of the timed repetitions. ` +
      `Speed-up: relative to ${SPEEDUP_REFERENCE} in this run.${
        precision
          ? " f16 mixed precision: f16 activations and Linear weight copies, f32 master weights and optimiser, loss scaling."
          : ""
      }\n${context.note}`,
  );
}
