/**
 * Check that a model carries the head a task needs, or (with `--init-head
 * SEED`) give it a freshly initialised one. Without that flag a mismatch is an
 * error: scoring a random head by accident is the mistake this guards against.
 */
import type { HeadConfig } from "../models/config.ts";
import { initWeights } from "../models/init.ts";
import { modelLayout } from "../models/layout.ts";
import { makeModel, type Model } from "../models/model.ts";
import type { TaskHead } from "../tasks/task.ts";

/** How to pick or make the head. */
export interface HeadOptions {
  /** Seed of a random head to use when the model lacks the right one. */
  initHeadSeed?: number;
  /** Which task of a multi-task (PAL) model serves this task (default: the head named `taskName`). */
  taskIndex?: number;
  /** The task being run, to find its head in a multi-task model that names its heads. */
  taskName?: string;
  /** How the model was named by the user, for messages. */
  source: string;
}

function describe(head: HeadConfig | TaskHead): string {
  switch (head.kind) {
    case "none":
      return "no task head (a bare encoder)";
    case "sequence-classification":
      return `a sequence-classification head with ${head.numLabels} label(s)`;
    case "question-answering":
      return "a question-answering head";
    case "multiple-choice":
      return "a multiple-choice head";
    case "multi-task":
      return `a multi-task head for ${head.taskNumLabels.length} tasks`;
  }
}

/** The model to evaluate and the task index to run it with. */
export interface HeadChoice {
  model: Model;
  task?: number;
  /** True when the head was initialised here rather than read from the checkpoint. */
  initialisedHead: boolean;
}

/** The head of a multi-task model trained on `task`, when the model names its heads. */
export function taskIndexByName(head: HeadConfig, task: string | undefined): number | undefined {
  if (head.kind !== "multi-task" || !head.taskNames || task === undefined) return undefined;
  const index = head.taskNames.indexOf(task);
  return index >= 0 ? index : undefined;
}

/** Return `model` if its head fits `wanted`, else a copy with a seeded random head, else throw. */
export function fitHead(model: Model, wanted: TaskHead, options: HeadOptions): HeadChoice {
  const head = model.config.head;
  if (head.kind === "multi-task" && wanted.kind === "sequence-classification") {
    const t = options.taskIndex ?? taskIndexByName(head, options.taskName);
    if (t === undefined) {
      const named = head.taskNames
        ? `: ${head.taskNames.map((name, i) => `${i} ${name}`).join(", ")}`
        : "";
      throw new Error(
        `${options.source} is a multi-task model (${head.taskNumLabels.length} tasks${named}): ` +
          `pass --task-index N to say which of its heads serves this task`,
      );
    }
    if (!Number.isInteger(t) || t < 0 || t >= head.taskNumLabels.length) {
      throw new Error(
        `--task-index ${t} is out of range: ${options.source} has ${head.taskNumLabels.length} tasks`,
      );
    }
    if (head.taskNumLabels[t] !== wanted.numLabels) {
      throw new Error(
        `${options.source}: task ${t} has ${
          head.taskNumLabels[t]
        } labels, the task needs ${wanted.numLabels}`,
      );
    }
    return { model, task: t, initialisedHead: false };
  }
  // Only a multi-task model has heads to pick from; a given index would otherwise be ignored.
  if (options.taskIndex !== undefined && head.kind !== "multi-task") {
    throw new Error(
      `--task-index picks a head of a multi-task model, but ${options.source} has ` +
        `${describe(head)}`,
    );
  }
  const fits = head.kind === wanted.kind &&
    (head.kind !== "sequence-classification" ||
      head.numLabels === (wanted as { numLabels: number }).numLabels);
  if (fits) return { model, initialisedHead: false };
  if (options.initHeadSeed === undefined || head.kind === "multi-task") {
    throw new Error(
      `${options.source} has ${describe(head)}, but the task needs ${describe(wanted)}` +
        (head.kind === "multi-task" ? "" : "; pass --init-head SEED to evaluate a random head"),
    );
  }
  const config = { ...model.config, head: wanted as HeadConfig };
  const layout = modelLayout(config);
  const headNames = new Set(
    [...layout.classifiers, ...(layout.qaOutputs ? [layout.qaOutputs] : [])]
      .flatMap((l) => [l.weight, l.bias]),
  );
  const weights = initWeights(config, options.initHeadSeed);
  // Keep every encoder tensor; only the new head is fresh (an old head is never reused).
  for (const name of weights.keys()) {
    if (!headNames.has(name)) weights.set(name, model.weights.get(name)!);
  }
  return { model: makeModel(config, weights), initialisedHead: true };
}
