/**
 * Planning one training run before any step: check the task list, build the
 * model and tokenise each task's splits, derive the step budget and the
 * learning-rate schedule, and compute the two keys: `key` names the trained
 * weights (a resume point of another key is refused) and `workKey` the whole
 * run's output (a record with it is reused instead of training again).
 */
import { createHash } from "node:crypto";
import type { Model } from "../models/model.ts";
import type { AdapterChoice } from "../models/multitask.ts";
import type { Gpu } from "../runtime/device.ts";
import type { Dtype } from "../runtime/kernel.ts";
import {
  canonicalJson,
  codeState,
  type Fingerprint,
  fingerprint,
  sha256,
} from "../runtime/fingerprint.ts";
import { checkpointDir } from "../models/resolve.ts";
import { taskEntry } from "../tasks/registry.ts";
import { tokenizerFor } from "../tokenizers/load.ts";
import type { Tokenizer } from "../tokenizers/tokenizer.ts";
import { DEFAULT_LOSS_SCALE } from "../kernels/loss_scale.ts";
import type { Schedule } from "./sampling.ts";
import { loadTrainingTask, type TrainingTask } from "./task_data.ts";
import type { OptimizerOptions, PrecisionOptions } from "./trainer.ts";
import { isMultiTask, trainingModel } from "./training_model.ts";

/** What `train` was asked to do (one seed; one task or several). */
export interface TrainOptions {
  /** Zoo name (weights seeded by `seed`), checkpoint directory or config.json. */
  model: string;
  /** Task names; more than one trains a multi-task model. */
  tasks: string[];
  /**
   * Multi-task adapters over the model's backbone (`none`: shared backbone,
   * per-task heads); unset, a multi-task checkpoint keeps its own adapters and
   * heads and any other model trains with `none` when training is multi-task.
   */
  adapter?: AdapterChoice;
  /** Train as multi-task even with one task (`--tasks X`); default: several tasks or an adapter. */
  multiTask?: boolean;
  /** d_s of the adapters (default: the paper's ratio to the hidden size). */
  hiddenSizeAug?: number;
  /** Head of a multi-task checkpoint that trains a single task (default 0). */
  taskIndex?: number;
  /** How each step's task is drawn (default round-robin, the original code's default). */
  schedule?: Schedule;
  /** Steps per epoch of multi-task training (default: the tasks' examples over the batch size). */
  stepsPerEpoch?: number;
  /** Data directory holding glue/, squad/, race/ (and vocab/ for zoo models). */
  data: string;
  /** Output directory: `train_log.jsonl`, `best/` checkpoints and `resume/` points. */
  out: string;
  /** Passes over the training data (multi-task: of `stepsPerEpoch` steps); CLI default 3. */
  epochs: number;
  /** Stop after this many optimiser steps in all, cutting `epochs` short. */
  maxSteps?: number;
  /** Train on the first N training examples (of each task) only. */
  limit?: number;
  /** Evaluate on the first N dev examples only. */
  evalLimit?: number;
  /** Examples per step (RACE: questions of 4 rows); CLI default 32. */
  batchSize: number;
  /** Peak learning rate of the linear warm-up/decay schedule (CLI default 2e-5). */
  lr: number;
  /** Peak learning rate of adapter (PAL) parameters; default `lr`. */
  adapterLr?: number;
  /** Fraction of the steps spent warming up (0.1 in BERT's and ALBERT's GLUE recipes). */
  warmup: number;
  /** Longest model row in tokens; default the family's (GLUE 128, SQuAD 384, RACE 512). */
  maxSeqLength?: number;
  /** Seeds a zoo model's weights, new heads, data shuffling, task draws and dropout. */
  seed: number;
  /** `adamw` or `lamb` (see `OptimizerOptions`). */
  optimizer: OptimizerOptions["optimizer"];
  /** Decoupled weight decay, not on biases and LayerNorm (CLI default 0.01). */
  weightDecay: number;
  /** Steps between resume points (also saved at every epoch's end). */
  saveSteps: number;
  /** Steps between training-log lines. */
  logSteps: number;
  /** Continue from `out`'s last resume point (it must exist and match these settings). */
  resume: boolean;
  /** Tokenizer directory or file; defaults to the checkpoint's, then the data dir's vocab/. */
  tokenizer?: string;
  /** No progress bar (the command's `--json` mode). */
  silent: boolean;
  /** A WebGPU device to share; else one is acquired and destroyed at the end. */
  gpu?: Gpu;
  /** Aborting stops after the current step, saves a resume point and throws `TrainingInterrupted`. */
  signal?: AbortSignal;
  /** Directory of the run record (default `results/runs`). */
  recordsDir?: string;
  /** Train again even when a record of this run exists (it is reused otherwise). */
  force?: boolean;
  /** Called after every optimiser step with the number of steps done. */
  onStep?: (step: number) => void;
  /** Storage of activations: f16 trains in mixed precision with dynamic loss scaling (default f32). */
  dtype?: Dtype;
  /** f16 only: the first loss scale and the clean steps before it doubles (PyTorch's defaults). */
  lossScale?: PrecisionOptions["lossScale"];
}

/** Everything a training run derives from its options before the first step. */
export interface TrainPlan {
  model: Model;
  tokenizer: Tokenizer;
  tasks: TrainingTask[];
  /** Task names, in the order given. */
  names: string[];
  /** Trained as a multi-task model (several tasks, or one under adapters or task heads). */
  multiTask: boolean;
  /** Training examples per task (RACE: questions, each four rows). */
  sizes: number[];
  schedule: Schedule;
  stepsPerEpoch: number;
  totalSteps: number;
  epochs: number;
  lrSchedule: { peak: number; warmupSteps: number; totalSteps: number };
  dtype: Dtype;
  /** f16's first loss scale and growth interval (the option, else PyTorch's defaults). */
  lossScale: PrecisionOptions["lossScale"];
  /** The run's fingerprint (DESIGN.md §5): config, weights, data files, seed. */
  print: Fingerprint;
  /** What decides the trained weights; resume points carry it. */
  key: string;
  /** What decides every output of the run, dev scores and files included. */
  workKey: string;
}

/** Load the model and data of a training run and derive its schedule and keys. */
export async function planTraining(options: TrainOptions): Promise<TrainPlan> {
  if (options.tasks.length === 0) throw new Error("train needs at least one task");
  const twice = options.tasks.find((t, i) => options.tasks.indexOf(t) !== i);
  if (twice) throw new Error(`Each task may be listed once; ${twice} is listed twice`);
  const entries = options.tasks.map(taskEntry);
  // Several tasks, or one task under adapters/task heads (`--tasks X`, `--adapter K`).
  const multiTask = isMultiTask(entries.length, options);
  const { model, taskIndices } = await trainingModel(entries, { ...options, multiTask });
  const dir = await checkpointDir(options.model);
  const tokenizer = await tokenizerFor(options, dir, model.config);
  const tasks: TrainingTask[] = [];
  for (const [i, entry] of entries.entries()) {
    tasks.push(
      await loadTrainingTask(entry, taskIndices[i], tokenizer, {
        ...options,
        maxPositions: model.config.maxPositionEmbeddings,
      }),
    );
  }
  // Training examples per task (RACE: questions, each four rows).
  const sizes = tasks.map((t) => t.train.rows.length / t.train.groupSize);
  const schedule = options.schedule ?? "round-robin";
  const stepsPerEpoch = multiTask
    ? options.stepsPerEpoch ?? Math.ceil(sizes.reduce((a, b) => a + b, 0) / options.batchSize)
    : Math.ceil(sizes[0] / options.batchSize);
  const totalSteps = Math.min(options.maxSteps ?? Infinity, options.epochs * stepsPerEpoch);
  // Without a step there is no dev evaluation, so no score and no kept checkpoint.
  if (!(totalSteps >= 1)) {
    throw new Error(`Nothing to train: the step budget is ${totalSteps} steps (--max-steps)`);
  }
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const lrSchedule = {
    peak: options.lr,
    warmupSteps: Math.round(options.warmup * totalSteps),
    totalSteps,
  };
  const names = entries.map((e) => e.name);
  const dtype = options.dtype ?? "f32";
  const lossScale = options.lossScale ?? DEFAULT_LOSS_SCALE;
  // Asked of git once: the fingerprint's commit and the work key's code come from it.
  const code = await codeState();
  // Everything that decides the trained weights; a resume point of other settings is refused.
  const print = await fingerprint({
    config: model.config,
    weights: model.weights,
    task: names.join(","),
    // Dev files too: they pick the kept checkpoint, and the record should name them.
    dataFiles: tasks.flatMap((t) => [...t.train.dataFiles, ...t.dev.dataFiles]),
    seed: options.seed,
    code,
  });
  const key = sha256(canonicalJson({
    weights: print.weightsHash,
    config: print.configHash,
    tasks: names,
    // Which head of a multi-task checkpoint serves each task (`--task-index`).
    taskIndices,
    rows: tasks.map(rowsDigest),
    schedule: lrSchedule,
    sampling: multiTask ? { schedule, stepsPerEpoch, epochs: options.epochs } : null,
    batchSize: options.batchSize,
    seed: options.seed,
    optimizer: options.optimizer,
    weightDecay: options.weightDecay,
    adapterLr: options.adapterLr ?? null,
    // Only f16 joins the key, so f32 runs keep the keys they had before precision was a choice.
    ...(dtype === "f16" ? { dtype, lossScale } : {}),
  }));
  // The whole run's work: the weights' key plus what decides the dev scores and the files.
  const workKey = sha256(canonicalJson({
    key,
    evalLimit: options.evalLimit ?? null,
    // The dev split picks the kept checkpoint and gives the scores: its files (hashed by the
    // fingerprint) and rows. Not in `key`, since a resumed run may evaluate on a different
    // `--eval-limit`, as before.
    dataFiles: print.dataFiles,
    dev: tasks.map(devDigest),
    maxSeqLength: options.maxSeqLength ?? null,
    out: options.out,
    code,
  }));

  return {
    model,
    tokenizer,
    tasks,
    names,
    multiTask,
    sizes,
    schedule,
    stepsPerEpoch,
    totalSteps,
    epochs,
    lrSchedule,
    dtype,
    lossScale,
    print,
    key,
    workKey,
  };
}

/** SHA-256 of a task's dev rows, row by row, after RACE's content digest (it names no files). */
function devDigest(task: TrainingTask): string {
  const hash = createHash("sha256");
  hash.update(task.dev.contentDigest ?? "");
  task.dev.rows.forEach((row) => hash.update(canonicalJson(row)));
  return hash.digest("hex");
}

/** SHA-256 of a task's training rows and targets, fed row by row (RACE's rows exceed a string). */
function rowsDigest(task: TrainingTask): string {
  const hash = createHash("sha256");
  task.train.rows.forEach((row, i) => hash.update(canonicalJson([row, task.targets[i]])));
  return hash.digest("hex");
}
