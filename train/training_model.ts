/**
 * The model a training run starts from. One task: the model as given, with
 * the task's head fitted (seeded) when it lacks one. Several tasks, or an
 * explicit `--adapter`: a multi-task model over the given backbone (its
 * encoder weights kept, adapters and per-task classifiers fresh from the
 * seed), or a multi-task checkpoint whose heads already fit the tasks.
 */
import { fitHead, taskIndexByName } from "../evaluate/head.ts";
import { type ModelConfig, taskCount } from "../models/config.ts";
import { initWeights } from "../models/init.ts";
import { modelLayout } from "../models/layout.ts";
import { makeModel, type Model } from "../models/model.ts";
import { type AdapterChoice, multiTaskConfig } from "../models/multitask.ts";
import { resolveModel } from "../models/resolve.ts";
import type { TaskEntry } from "../tasks/task.ts";

/** What to build. */
export interface TrainingModelOptions {
  /** `--model` as typed: zoo name, config.json or checkpoint directory. */
  model: string;
  /** Weights of zoo/config backbones, and every fresh head and adapter. */
  seed: number;
  /** Adapters to build; without it several tasks reuse a multi-task model's heads or get none. */
  adapter?: AdapterChoice;
  /** Multi-task training even for one task (default: several tasks or an adapter). */
  multiTask?: boolean;
  hiddenSizeAug?: number;
  /** Which head of a multi-task model trains a single task (default 0). */
  taskIndex?: number;
}

/** The starting model and the task index of each task, in the order given. */
export interface TrainingModel {
  model: Model;
  taskIndices: number[];
}

/** Build the model that trains on `entries`. */
export async function trainingModel(
  entries: readonly TaskEntry[],
  options: TrainingModelOptions,
): Promise<TrainingModel> {
  const loaded = await resolveModel(options.model, { seed: options.seed });
  const head = loaded.config.head;
  if (!isMultiTask(entries.length, options)) {
    const { model, task } = fitHead(loaded, entries[0].head, {
      initHeadSeed: options.seed,
      // A multi-task checkpoint trains its first head unless told; any other refuses an index.
      taskIndex: head.kind === "multi-task"
        ? options.taskIndex ?? taskIndexByName(head, entries[0].name) ?? 0
        : options.taskIndex,
      source: options.model,
    });
    return { model, taskIndices: [task ?? 0] };
  }

  const taskNumLabels = entries.map((entry) => {
    if (entry.head.kind !== "sequence-classification") {
      throw new Error(
        `Multi-task training covers classification and regression tasks; ${entry.name} needs a ${entry.head.kind} head`,
      );
    }
    return entry.head.numLabels;
  });
  const taskIndices = entries.map((_, i) => i);
  let adapter = options.adapter;
  if (adapter === undefined && head.kind === "multi-task") {
    // A multi-task checkpoint continues training with its own heads and adapters.
    const fits = taskCount(loaded.config) === entries.length &&
      head.taskNumLabels.every((n, i) => n === taskNumLabels[i]);
    if (!fits) {
      throw new Error(
        `${options.model} has task heads with labels ${head.taskNumLabels.join(", ")}, not ${
          taskNumLabels.join(", ")
        } for ${
          entries.map((e) => e.name).join(", ")
        }; list its tasks in its order, or pass --adapter to build new heads`,
      );
    }
    return { model: loaded, taskIndices };
  }
  adapter ??= "none";
  if (adapter !== "none" && loaded.config.modelType !== "bert") {
    throw new Error(
      `--adapter ${adapter} needs a BERT backbone (PALs are defined for BERT); ${options.model} is ${loaded.config.modelType}`,
    );
  }

  const config = multiTaskConfig(loaded.config, {
    adapter,
    taskNumLabels,
    taskNames: entries.map((e) => e.name),
    hiddenSizeAug: options.hiddenSizeAug,
  }, options.model);
  const weights = initWeights(config, options.seed);
  for (const name of backboneTensors(loaded.config)) weights.set(name, loaded.weights.get(name)!);
  return { model: makeModel(config, weights), taskIndices };
}

/** Whether a run of `taskCount` tasks trains a multi-task model (the one place this is decided). */
export function isMultiTask(
  taskCount: number,
  options: { adapter?: AdapterChoice; multiTask?: boolean },
): boolean {
  return options.multiTask ?? (taskCount > 1 || options.adapter !== undefined);
}

/** Names of a model's encoder tensors without its adapters and head. */
function backboneTensors(config: ModelConfig): string[] {
  const bare = modelLayout({ ...config, adapter: undefined, head: { kind: "none" } });
  return bare.tensors.map((t) => t.name);
}
