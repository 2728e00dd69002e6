/**
 * `LEADERBOARD.md`: the papers' tables filled from run records. The ALBERT
 * tables come from `albert.ts`; this file adds the BERT-and-PALs table, the
 * kernels and device table and the remaining dev scores, and writes it all
 * as Markdown. Same records, same bytes: no timestamps, stable order.
 */
import {
  formatCount,
  formatMedianRange,
  formatMultiplier,
  formatNumber,
} from "../benchmarks/format.ts";
import { parameterMultiplier } from "../models/params.ts";
import { zooEntry } from "../models/zoo.ts";
import { taskEntry } from "../tasks/registry.ts";
import {
  ablationSections,
  type BoardInput,
  byZooOrder,
  table1Section,
  table2Section,
  TABLE_2_TASKS,
} from "./albert.ts";
import {
  type BoardSection,
  type BoardTable,
  type Cell,
  dtypeSuffix,
  formatRatio,
  linked,
  type RunHref,
  scoreCell,
  tableMarkdown,
  text,
} from "./cells.ts";
import { NOT_TRANSCRIBED, PALS_PAPER } from "./paper.ts";
import { trainingSection } from "./training.ts";
import {
  adapterOf,
  type LoadedRecord,
  newestGemm,
  newestMeasurements,
  newestOfKind,
  type RunSet,
} from "./records.ts";
import { isSpread, ratioSpread } from "../runtime/stats.ts";
import { devScores } from "./scores.ts";
import { peerLabel } from "../benchmarks/peers.ts";

/** Where the Markdown's links to run records point. */
export interface LeaderboardOptions {
  /** The runs directory relative to the leaderboard's folder, `/`-separated (e.g. `runs`). */
  runsPath: string;
}

/** A link maker for records under `runsPath`. */
export function runHref(runsPath: string): RunHref {
  return (file) => encodeURI(runsPath === "" || runsPath === "." ? file : `${runsPath}/${file}`);
}

/** A task's headline metrics: GLUE's own, F1 and exact match for SQuAD, accuracy for RACE. */
export function headlineMetrics(task: string): string[] {
  if (task === "squad/v1.1") return ["f1", "exact_match"];
  if (task === "squad/v2.0") return ["f1", "exact"];
  if (task === "race") return ["accuracy"];
  try {
    return taskEntry(task).metrics;
  } catch {
    return [];
  }
}

const shortTask = (task: string) => task.replace(/^glue\//, "").toUpperCase();

/** One method's row of a pals-table record (fields checked by `validate.ts`). */
export type PalsRow = {
  method: { label?: string; name?: string; schedule?: string | null };
  multiplier?: number;
  scores: { task: string; metrics?: Record<string, number | null> }[];
  average?: number | null;
};

/** A PALs method's name as the table and the chart show it. */
export function palsMethodLabel(method: PalsRow["method"]): string {
  return method.label ?? method.name ?? "?";
}

/** What a pals-table record's settings say about its scale. */
function palsSettings(record: LoadedRecord["record"]): string {
  const s = (record.settings ?? {}) as Record<string, unknown>;
  if (Object.keys(s).length === 0) return "settings not recorded";
  const parts = [
    s.model !== undefined ? `backbone ${s.model}` : undefined,
    s.epochs !== undefined && s.stepsPerEpoch !== undefined
      ? `${s.epochs} epochs of ${s.stepsPerEpoch} steps`
      : undefined,
    s.batchSize !== undefined ? `batch ${s.batchSize}` : undefined,
    s.lr !== undefined ? `lr ${s.lr}` : undefined,
    s.maxSeqLength !== undefined ? `max length ${s.maxSeqLength}` : undefined,
    s.seed !== undefined ? `seed ${s.seed}` : undefined,
    s.limit !== undefined && s.limit !== null ? `first ${s.limit} training examples` : undefined,
    s.evalLimit !== undefined && s.evalLimit !== null
      ? `first ${s.evalLimit} dev examples`
      : undefined,
  ];
  return parts.filter((p) => p).join(", ");
}

/** The BERT-and-PALs table: our newest pals-table run, and what the paper gives. */
export function palsSection(input: BoardInput): BoardSection {
  const run = newestOfKind(input.set, "pals-table");
  const tables: BoardTable[] = [];
  const notes: string[] = [];
  let source = "No pals-table run record: no run.";
  if (run) {
    const rows = run.record.rows as PalsRow[];
    const tasks = rows[0]?.scores.map((s) => s.task) ?? [];
    source = `Our rows: the newest pals-table run (${palsSettings(run.record)}; reduced scale, ` +
      "best-epoch GLUE dev ×100, one seed); parameter multipliers computed from the configs.";
    tables.push({
      head: ["method", "schedule", "params", ...tasks.map(shortTask), "avg", "run"],
      rows: rows.map((r) => [
        text(palsMethodLabel(r.method)),
        text(r.method.schedule ?? "—"),
        text(formatMultiplier(r.multiplier, 2)),
        ...tasks.map((task) => {
          const metrics = r.scores.find((s) => s.task === task)?.metrics ?? {};
          const names = headlineMetrics(task).filter((m) => m in metrics);
          return text(
            names.length
              ? names.map((m) => formatNumber(metrics[m] ?? undefined)).join("/")
              : "no run",
          );
        }),
        text(formatNumber(r.average ?? undefined)),
        linked("record", run.file, input.href),
      ]),
    });
  } else notes.push("no run");
  const variants = [
    "bert-base-pals",
    "bert-base-pals-top-half",
    "bert-base-low-rank",
    "bert-base-top-projected",
  ];
  tables.push({
    caption:
      "The paper (BERT-base, 8 GLUE tasks): its multipliers, and ours computed from the zoo's configs; its scores are not available offline.",
    head: ["method", "params (paper)", "params (computed)", "GLUE dev (paper)"],
    rows: [
      [
        text(`${PALS_PAPER[0].method} (paper)`),
        text(PALS_PAPER[0].multiplier),
        text(formatMultiplier(8)),
        text(NOT_TRANSCRIBED),
      ],
      [
        text(`${PALS_PAPER[1].method} (paper)`),
        text(PALS_PAPER[1].multiplier),
        text(formatMultiplier(parameterMultiplier(zooEntry(variants[0]).config))),
        text(NOT_TRANSCRIBED),
      ],
      ...variants.slice(1).map((name) => [
        text(`${name} (zoo)`),
        text(NOT_TRANSCRIBED),
        text(formatMultiplier(parameterMultiplier(zooEntry(name).config))),
        text(NOT_TRANSCRIBED),
      ]),
    ],
  });
  return { id: "pals", heading: "BERT and PALs: multi-task GLUE", source, tables, notes };
}

/** Kernels and device: adapters, GEMM GFLOP/s against ONNX Runtime, inference WebGPU/ORT. */
export function kernelsSection(input: BoardInput): BoardSection {
  const used = new Map<string, LoadedRecord>();
  const gemm = newestGemm(input.set);
  // Peer columns (onnxruntime-web) appear when any shown GEMM row measured them.
  const gemmPeers = [...new Set(gemm.flatMap(({ row }) => Object.keys(row.peerGflops ?? {})))];
  const gemmRows: Cell[][] = gemm.map(({ row, run }) => {
    used.set(run.file, run);
    return [
      text(`${row.m}×${row.n}×${row.k}${dtypeSuffix(run)}`),
      text(row.label ?? ""),
      text(formatMedianRange(row.webgpuGflops)),
      text(isSpread(row.ortGflops) ? formatMedianRange(row.ortGflops) : "no run"),
      text(
        isSpread(row.ortGflops)
          ? formatRatio(ratioSpread(row.webgpuGflops, row.ortGflops), 3)
          : "no run",
      ),
      ...gemmPeers.flatMap((peer) => {
        const spread = row.peerGflops?.[peer];
        return spread
          ? [
            text(formatMedianRange(spread)),
            text(formatRatio(ratioSpread(row.webgpuGflops, spread), 2)),
          ]
          : [text("no run"), text("no run")];
      }),
      linked("record", run.file, input.href),
    ];
  });
  const inferenceRows: Cell[][] = newestMeasurements(input.set, "inference", byZooOrder).map(
    ({ model, entry, run }) => {
      used.set(run.file, run);
      const ort = isSpread(entry.ort) ? entry.ort : undefined;
      return [
        text(`${model}${dtypeSuffix(run)}`),
        text(formatCount(entry.params)),
        text(`${entry.batch}×${entry.seqLen}`),
        text(formatMedianRange(entry.webgpu as never, 2)),
        text(ort ? formatMedianRange(ort, 2) : "no run"),
        text(ort ? formatRatio(ratioSpread(entry.webgpu as never, ort), 3) : "no run"),
        linked("record", run.file, input.href),
      ];
    },
  );
  const adapters = new Map<string, { features: string[]; runs: string[] }>();
  for (const run of [...used.values()].sort((a, b) => (a.file < b.file ? -1 : 1))) {
    const { description, features } = adapterOf(run.record);
    const seen = adapters.get(description) ?? { features, runs: [] };
    seen.runs.push(run.file);
    adapters.set(description, seen);
  }
  const tables: BoardTable[] = [];
  if (adapters.size) {
    tables.push({
      head: ["adapter", "features", "records"],
      rows: [...adapters.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([d, a]) => [
        text(d),
        text(a.features.join(", ") || "none reported"),
        {
          text: `${a.runs.length}`,
          links: a.runs.map((f, i) => ({ label: `${i + 1}`, href: input.href(f) })),
        },
      ]),
    });
  }
  if (gemmRows.length) {
    tables.push({
      caption:
        "GEMM: m tokens × n outputs × k inputs, GFLOP/s, median (min–max) of the timed repetitions.",
      head: [
        "m×n×k",
        "layer",
        "WebGPU GFLOP/s",
        "ORT GFLOP/s",
        "WebGPU/ORT",
        ...gemmPeers.flatMap((p) => [`${peerLabel(p)} GFLOP/s`, `WebGPU/${peerLabel(p)}`]),
        "run",
      ],
      rows: gemmRows,
    });
  }
  if (inferenceRows.length) {
    tables.push({
      caption:
        "Inference: sequences/s, median (min–max) of the timed repetitions, both backends in the same run.",
      head: ["model", "params", "batch×seq", "WebGPU seq/s", "ORT seq/s", "WebGPU/ORT", "run"],
      rows: inferenceRows,
    });
  }
  return {
    id: "kernels",
    heading: "Kernels and device",
    source:
      "The newest bench record per GEMM shape and per model; ONNX Runtime (CPU) timed in the same run, so only the WebGPU/ORT ratios compare across machines.",
    tables,
    notes: tables.length ? [] : ["no run"],
  };
}

/** Dev scores no other table shows: other tasks, and multi-task training methods. */
export function otherScoresSection(input: BoardInput): BoardSection {
  const shown = new Set<string>(TABLE_2_TASKS.map((c) => c.task));
  const rest = input.scores.filter((s) => s.method !== "" || !shown.has(s.task));
  const rows = rest.map((s) => {
    const metrics = headlineMetrics(s.task).filter((m) => m in s.metrics);
    return [
      text(s.model),
      text(s.method || "single task"),
      text(s.task),
      text(metrics.join(" / ")),
      scoreCell(s, metrics, input.href),
    ];
  });
  return {
    id: "other-scores",
    heading: "Other dev scores",
    source:
      "Full dev-split eval runs and full-data train runs (best dev epoch, median (min–max) over seeds) that the tables above do not show; the newest per model, method and task.",
    tables: rows.length ? [{ head: ["model", "method", "task", "metrics", "score"], rows }] : [],
    notes: rows.length ? [] : ["no run"],
  };
}

/** Every section of the leaderboard, in the papers' order. */
export function leaderboardSections(set: RunSet, options: LeaderboardOptions): BoardSection[] {
  const input: BoardInput = { set, scores: devScores(set), href: runHref(options.runsPath) };
  return [
    table1Section(),
    table2Section(input),
    ...ablationSections(input),
    palsSection(input),
    kernelsSection(input),
    trainingSection(input),
    otherScoresSection(input),
  ];
}

/** The header's one-line account of the records read. */
export function recordsSummary(set: RunSet): string {
  const shards = set.shards.length
    ? `; ${set.shards.length} shard record${
      set.shards.length === 1 ? "" : "s"
    } of split runs left out`
    : "";
  return `${set.records.length} run record${set.records.length === 1 ? "" : "s"}${shards}`;
}

/** The whole `LEADERBOARD.md`. */
export function leaderboardMarkdown(set: RunSet, options: LeaderboardOptions): string {
  const lines = [
    "# Leaderboard",
    "",
    `<!-- Generated by \`deno task harness report\`; do not edit by hand. -->`,
    "",
    `Generated by \`deno task harness report\` from ${
      recordsSummary(set)
    } in \`${options.runsPath}/\`. ` +
    "Do not edit this file by hand: rerun the command.",
    "",
    "Measured figures are the median (min–max) over timed repetitions or seeds where there are several, " +
    'and link to their run records; "no run" marks a figure no record measured. Rows and columns marked ' +
    '"paper" are the papers\' own figures (docs/PAPER_TABLES.md), never measured here.',
  ];
  for (const section of leaderboardSections(set, options)) {
    lines.push("", `## ${section.heading}`, "", section.source);
    for (const table of section.tables) lines.push("", ...tableMarkdown(table));
    for (const note of section.notes ?? []) lines.push("", note);
  }
  return lines.join("\n") + "\n";
}
