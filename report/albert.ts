/**
 * The ALBERT paper's tables from our run records: Table 1 (configurations and
 * parameters, computed from the zoo), Table 2 (dev scores and speed-ups, our
 * rows beside the paper's), and Tables 3 and 4 (embedding-size and sharing
 * ablations).
 */
import {
  formatCount,
  formatMedianRange,
  formatMillions,
  formatSpeedup,
  MISSING,
} from "../benchmarks/format.ts";
import { countEncoderParameters } from "../models/params.ts";
import { zoo, zooEntry } from "../models/zoo.ts";
import {
  type BoardSection,
  type Cell,
  linked,
  noRun,
  paperCell,
  type RunHref,
  scoreCell,
  speedupText,
  text,
} from "./cells.ts";
import {
  ALBERT_TABLE_1,
  ALBERT_TABLE_2,
  ALBERT_TABLE_3,
  ALBERT_TABLE_4,
  ALBERT_V2_README,
  type PaperAblation,
  type PaperTable2Row,
} from "./paper.ts";
import {
  adapterOf,
  benchedModels,
  benchModels,
  newestMeasurement,
  newestSpeedup,
} from "./records.ts";
import type { RunSet } from "./records.ts";
import { type DevScore, scoreOf } from "./scores.ts";

/** Table 2's score columns: task, metrics, heading. */
export const TABLE_2_TASKS = [
  { task: "squad/v1.1", metrics: ["f1"], head: "SQuAD1.1 F1" },
  { task: "squad/v1.1", metrics: ["exact_match"], head: "SQuAD1.1 EM" },
  { task: "squad/v2.0", metrics: ["f1"], head: "SQuAD2.0 F1" },
  { task: "squad/v2.0", metrics: ["exact"], head: "SQuAD2.0 EM" },
  { task: "glue/mnli-m", metrics: ["accuracy"], head: "MNLI" },
  { task: "glue/sst2", metrics: ["accuracy"], head: "SST-2" },
  { task: "race", metrics: ["accuracy"], head: "RACE" },
] as const;

/** What the leaderboard's sections are made from. */
export interface BoardInput {
  set: RunSet;
  scores: readonly DevScore[];
  href: RunHref;
}

/** Order of models in tables: the zoo's order, then other names alphabetically. */
export function byZooOrder(a: string, b: string): number {
  const names = zoo().map((e) => e.name);
  const ia = names.indexOf(a), ib = names.indexOf(b);
  const ra = ia < 0 ? Infinity : ia, rb = ib < 0 ? Infinity : ib;
  return ra !== rb ? ra - rb : a < b ? -1 : a > b ? 1 : 0;
}

/** Table 2's Avg of a model: SQuAD F1/EM averaged per version, then the five tasks. */
export function table2Average(scores: readonly DevScore[], model: string): number | undefined {
  const get = (task: string, metric: string) =>
    scoreOf(scores, model, task)?.metrics[metric]?.median;
  const parts = [
    [get("squad/v1.1", "f1"), get("squad/v1.1", "exact_match")],
    [get("squad/v2.0", "f1"), get("squad/v2.0", "exact")],
    [get("glue/mnli-m", "accuracy")],
    [get("glue/sst2", "accuracy")],
    [get("race", "accuracy")],
  ];
  if (parts.some((p) => p.some((x) => x === undefined))) return undefined;
  const means = parts.map((p) => (p as number[]).reduce((s, x) => s + x, 0) / p.length);
  return means.reduce((s, x) => s + x, 0) / means.length;
}

/** Our Avg cell: the average when every task has a score, else how many do. */
function averageCell(scores: readonly DevScore[], model: string): Cell {
  const avg = table2Average(scores, model);
  if (avg !== undefined) return paperCell(avg);
  const have = new Set(
    TABLE_2_TASKS.filter((c) => scoreOf(scores, model, c.task)).map((c) => c.task),
  );
  return have.size === 0 ? noRun() : text(`${MISSING} (${have.size} of 5 tasks run)`);
}

/** ALBERT Table 1: the released configurations and their parameters, computed vs the paper. */
export function table1Section(): BoardSection {
  const rows = ALBERT_TABLE_1.map(({ label, model }) => {
    const { config, paperParams } = zooEntry(model);
    const params = countEncoderParameters(config);
    const shared = config.modelType === "albert" && config.numHiddenGroups === 1;
    return [
      text(`${model} (${label})`),
      text(String(config.numHiddenLayers)),
      text(String(config.hiddenSize)),
      text(String(config.embeddingSize)),
      text(String(config.intermediateSize)),
      text(String(config.numAttentionHeads)),
      text(shared ? "all" : "no"),
      text(formatCount(params)),
      text(formatMillions(params)),
      text(paperParams ?? MISSING),
    ];
  });
  return {
    id: "albert-table-1",
    heading: "ALBERT Table 1: configurations and parameters",
    source:
      "Computed from the zoo configs (models/zoo.ts) by models/params.ts: the bare encoder with pooler, no head; the paper's rounded figure beside. Needs no runs.",
    tables: [{
      head: [
        "model",
        "layers",
        "hidden",
        "embedding",
        "FFN",
        "heads",
        "sharing",
        "parameters",
        "ours (M)",
        "paper",
      ],
      rows,
    }],
  };
}

/** A speed-up cell from the newest bench run of `mode` that measured the model and its reference. */
function speedupCell(input: BoardInput, model: string, mode: "inference" | "train"): Cell {
  const speedup = newestSpeedup(input.set, model, mode);
  if (!speedup) return noRun();
  return linked(speedupText(model, speedup), speedup.run.file, input.href);
}

function paperRow(row: PaperTable2Row, source: string): Cell[] {
  return [
    text(`${row.label} (${source})`),
    paperCell(row.squad11.f1),
    paperCell(row.squad11.em),
    paperCell(row.squad20.f1),
    paperCell(row.squad20.em),
    paperCell(row.mnli),
    paperCell(row.sst2),
    paperCell(row.race),
    paperCell(row.avg),
    text(MISSING),
    text(formatSpeedup(row.speedup, 1)),
  ];
}

/** The models Table 2 lists: the paper's six, then every other model with a score or speed-up. */
function table2Models(input: BoardInput): string[] {
  const paper = ALBERT_TABLE_2.map((r) => r.model);
  const others = new Set<string>();
  for (const s of input.scores) {
    if (s.method === "" && TABLE_2_TASKS.some((c) => c.task === s.task)) others.add(s.model);
  }
  for (const mode of ["inference", "train"] as const) {
    for (const model of benchedModels(input.set, mode)) {
      if (newestSpeedup(input.set, model, mode)) others.add(model);
    }
  }
  return [...paper, ...[...others].filter((m) => !paper.includes(m)).sort(byZooOrder)];
}

/** The shapes and adapters of the bench runs behind a list of models' speed-ups. */
function speedupSources(input: BoardInput, models: readonly string[]): string {
  const seen = new Set<string>();
  for (const model of models) {
    for (const mode of ["inference", "train"] as const) {
      const s = newestSpeedup(input.set, model, mode);
      const m = s && benchModels(s.run.record).find((e) => e.name === model);
      if (s && m) {
        seen.add(
          `${mode} batch ${m.batch} × sequence ${m.seqLen} on ${
            adapterOf(s.run.record).description
          }`,
        );
      }
    }
  }
  return seen.size ? [...seen].sort().join("; ") : "none measured";
}

/** ALBERT Table 2: dev scores and speed-ups, each of the paper's models beside its paper rows. */
export function table2Section(input: BoardInput): BoardSection {
  const rows: Cell[][] = [];
  const models = table2Models(input);
  for (const model of models) {
    rows.push([
      text(model),
      ...TABLE_2_TASKS.map((c) =>
        scoreCell(scoreOf(input.scores, model, c.task), c.metrics, input.href)
      ),
      averageCell(input.scores, model),
      speedupCell(input, model, "inference"),
      speedupCell(input, model, "train"),
    ]);
    const paper = ALBERT_TABLE_2.find((r) => r.model === model);
    if (paper) rows.push(paperRow(paper, "paper"));
    const readme = ALBERT_V2_README.find((r) => r.model === model);
    if (readme) rows.push(paperRow(readme, "paper, v2 README"));
  }
  return {
    id: "albert-table-2",
    heading: "ALBERT Table 2: dev scores and speed-up",
    source:
      "Ours: full dev-split eval runs, or the best dev epoch of full-data train runs (median (min–max) over seeds), the newest per model and task; speed-ups over bert-large-uncased measured in the same bench run (" +
      speedupSources(input, models) +
      "). The paper's models are pre-trained at full scale and its speed-up is training throughput.",
    tables: [{
      head: [
        "model",
        ...TABLE_2_TASKS.map((c) => c.head),
        "Avg",
        "speed-up (WebGPU inference)",
        "speed-up (training)",
      ],
      rows,
    }],
  };
}

/** The zoo name of an ALBERT-base ablation. */
export function ablationModel(embedding: number, sharing: string): string {
  return `albert-base-e${embedding}-${sharing.toLowerCase()}`;
}

/** WebGPU sequences/s of a model from the newest inference bench run that measured it. */
export function throughputCell(input: BoardInput, model: string): Cell {
  const found = newestMeasurement(input.set, model, "inference");
  if (!found) return noRun();
  const { entry, run } = found;
  const value = formatMedianRange(entry.webgpu as never, 2);
  return linked(`${value} at ${entry.batch}×${entry.seqLen}`, run.file, input.href);
}

function ablationTable(input: BoardInput, rows: readonly PaperAblation[]) {
  return {
    head: [
      "E",
      "sharing",
      "model",
      "parameters",
      "paper",
      "WebGPU seq/s (batch×seq)",
      "Avg",
      "Avg (paper)",
    ],
    rows: rows.map((r) => {
      const model = ablationModel(r.embedding, r.sharing);
      const { config, paperParams } = zooEntry(model);
      return [
        text(String(r.embedding)),
        text(r.sharing),
        text(model),
        text(formatMillions(countEncoderParameters(config))),
        text(paperParams ?? MISSING),
        throughputCell(input, model),
        averageCell(input.scores, model),
        paperCell(r.avg),
      ];
    }),
  };
}

/** ALBERT Tables 3 and 4: the embedding-size and cross-layer-sharing ablations of ALBERT-base. */
export function ablationSections(input: BoardInput): BoardSection[] {
  const source =
    "Parameters computed from the zoo's ablation configs (bare encoder with pooler), the paper's beside; WebGPU throughput from the newest inference bench run of each config; Avg as in Table 2, from dev scores where every task has run.";
  return [
    {
      id: "albert-table-3",
      heading: "ALBERT Table 3: embedding size (ALBERT-base)",
      source,
      tables: [ablationTable(input, ALBERT_TABLE_3)],
    },
    {
      id: "albert-table-4",
      heading: "ALBERT Table 4: cross-layer sharing (ALBERT-base)",
      source,
      tables: [ablationTable(input, ALBERT_TABLE_4)],
    },
  ];
}
