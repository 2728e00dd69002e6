/**
 * Multi-task models built from a backbone (BERT-and-PALs): the same encoder
 * with one classifier per task and, unless the adapter is `none` (the
 * shared-backbone baseline), per-task PALs, low-rank or top-projected
 * adapters. The config goes through `parseConfig`, so the usual validation
 * (PAL adapters on BERT only, head counts) applies.
 */
import { type AdapterKind, configToJson, type ModelConfig, parseConfig } from "./config.ts";

/** The adapter of a multi-task model, or `none` for a shared backbone with per-task heads. */
export type AdapterChoice = AdapterKind | "none";

/** The original code's d_s for BERT-base (H = 768) and its heads in the small space. */
const PAPER_AUG: Record<AdapterKind, { size: number; heads: number }> = {
  "pals": { size: 204, heads: 6 },
  "low-rank": { size: 100, heads: 6 },
  "top-projected": { size: 204, heads: 12 },
};

/** Options of `multiTaskConfig`. */
export interface MultiTaskOptions {
  /** Per-task adapter kind, or `none` for the shared-backbone baseline. */
  adapter: AdapterChoice;
  /** Labels of each task's classifier (1 = regression), in task-index order. */
  taskNumLabels: number[];
  /** Each head's task (e.g. `glue/rte`), kept in the config so `eval` can find the head. */
  taskNames?: string[];
  /** d_s; by default the paper's d_s scaled by H/768, rounded to a multiple of the heads. */
  hiddenSizeAug?: number;
}

/**
 * Default d_s for a backbone of width `hiddenSize`: the paper's ratio d_s/H kept,
 * rounded to a whole number of heads (PALs 204 at H = 768 gives 36 at H = 128).
 */
export function defaultHiddenSizeAug(kind: AdapterKind, hiddenSize: number): number {
  const { size, heads } = PAPER_AUG[kind];
  const scaled = size * hiddenSize / 768;
  if (kind === "low-rank") return Math.max(1, Math.round(scaled));
  return Math.max(1, Math.round(scaled / heads)) * heads;
}

/** The config of `backbone` turned into a multi-task model (its own head and adapters dropped). */
export function multiTaskConfig(
  backbone: ModelConfig,
  options: MultiTaskOptions,
  source: string,
): ModelConfig {
  const json = configToJson({ ...backbone, adapter: undefined, head: { kind: "none" } });
  const prefix = backbone.modelType === "albert" ? "Albert" : "Bert";
  json.architectures = [`${prefix}ForMultiTask`];
  json.task_num_labels = options.taskNumLabels;
  if (options.taskNames) json.task_names = options.taskNames;
  const kind = options.adapter;
  if (kind !== "none") {
    if (kind === "top-projected") json.top = true;
    else json.mult = true;
    if (kind === "pals") json.pals = true;
    json.num_tasks = options.taskNumLabels.length;
    json.hidden_size_aug = options.hiddenSizeAug ??
      defaultHiddenSizeAug(kind, backbone.hiddenSize);
    json.num_attention_heads_aug = PAPER_AUG[kind].heads;
  }
  return parseConfig(json, `${source} with ${kind} adapters`);
}
