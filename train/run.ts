/**
 * The `train` command for one task and one seed: load the model (giving it
 * the task's head, seeded), tokenise the train and dev splits, train with
 * the linear warm-up/decay schedule, evaluate on dev after each epoch and
 * keep the best checkpoint (the papers early-stop on dev), and write a JSONL
 * training log and a run record. Resume points are saved every `saveSteps`
 * steps and at each epoch's end; `resume` continues from the last one and,
 * since batches and dropout masks follow from (seed, step), ends with the
 * weights an uninterrupted run would have.
 */
import { join } from "node:path";
import { createWebGpuBackend } from "../backends/webgpu/engine.ts";
import { checkpointDir, tokenizerFor } from "../evaluate/eval.ts";
import { fitHead } from "../evaluate/head.ts";
import { runRows, type RunRowsOptions } from "../evaluate/runner.ts";
import { saveCheckpoint, statOrUndefined } from "../models/checkpoint.ts";
import { configToJson } from "../models/config.ts";
import { makeModel, type Model, type Weights } from "../models/model.ts";
import { resolveModel } from "../models/resolve.ts";
import { acquireGpu, type Gpu } from "../runtime/device.ts";
import { canonicalJson, fingerprint, sha256 } from "../runtime/fingerprint.ts";
import { writeAtomic } from "../runtime/files.ts";
import { createProgress } from "../runtime/progress.ts";
import { writeRecord } from "../runtime/records.ts";
import { taskEntry } from "../tasks/registry.ts";
import type { Metrics, PreparedTask } from "../tasks/task.ts";
import { epochBatches, LENGTH_MULTIPLE, trainBatch } from "./batches.ts";
import { loadResumeState, loadResumeTensors, type ResumeState, saveResumePoint } from "./resume.ts";
import { linearWarmupDecay } from "./schedule.ts";
import { type OptimizerOptions, Trainer } from "./trainer.ts";

/** What `train` was asked to do (one task, one seed). */
export interface TrainOptions {
  model: string;
  task: string;
  data: string;
  out: string;
  epochs: number;
  maxSteps?: number;
  /** Train on the first N training examples only. */
  limit?: number;
  /** Evaluate on the first N dev examples only. */
  evalLimit?: number;
  batchSize: number;
  lr: number;
  /** Fraction of the steps spent warming up (0.1 in BERT's and ALBERT's GLUE recipes). */
  warmup: number;
  maxSeqLength?: number;
  seed: number;
  optimizer: OptimizerOptions["optimizer"];
  weightDecay: number;
  /** Steps between resume points (also saved at every epoch's end). */
  saveSteps: number;
  /** Steps between training-log lines. */
  logSteps: number;
  resume: boolean;
  tokenizer?: string;
  silent: boolean;
  gpu?: Gpu;
  /** Aborting stops after the current step, saves a resume point and throws `TrainingInterrupted`. */
  signal?: AbortSignal;
  /** Directory of the run record (default `results`). */
  recordsDir?: string;
  /** Called after every optimiser step with the number of steps done. */
  onStep?: (step: number) => void;
}

/** A run stopped by its signal; a resume point was saved first. */
export class TrainingInterrupted extends Error {
  override name = "TrainingInterrupted";
}

/** What a training run produced. */
export interface TrainOutcome {
  task: string;
  seed: number;
  steps: number;
  /** The best dev metrics and the epoch they came from. */
  best: { score: number; epoch: number; metrics: Metrics } | null;
  checkpoint: string;
  logPath: string;
  recordPath: string;
  seconds: number;
  tokensPerSecond: number;
}

/** A single log line of the training log. */
type LogLine = Record<string, number | string | Metrics>;

/** Train one model on one task with one seed. */
export async function runTrain(options: TrainOptions): Promise<TrainOutcome> {
  const started = performance.now();
  const entry = taskEntry(options.task);
  for (const split of ["train", "dev"] as const) {
    if (!entry.splits.includes(split)) throw new Error(`${entry.name} has no ${split} split`);
  }
  const loaded = await resolveModel(options.model, { seed: options.seed });
  const { model, task: taskIndex } = fitHead(loaded, entry.head, {
    initHeadSeed: options.seed,
    taskIndex: loaded.config.head.kind === "multi-task" ? 0 : undefined,
    source: options.model,
  });
  const task = taskIndex ?? 0;
  const dir = await checkpointDir(options.model);
  const tokenizer = await tokenizerFor(options, dir, model.config.modelType);
  const prepare = (split: "train" | "dev", limit?: number) =>
    entry.prepare({
      root: options.data,
      split,
      tokenizer,
      limit,
      maxSeqLength: options.maxSeqLength,
    });
  const train = await prepare("train", options.limit);
  const dev = await prepare("dev", options.evalLimit);
  const targets = train.targets;
  if (!targets) {
    throw new Error(`${entry.name}: training is not available for this task family yet`);
  }
  const longest = train.rows.reduce((n, r) => Math.max(n, r.inputIds.length), 0);
  const maxPositions = model.config.maxPositionEmbeddings;
  if (Math.ceil(longest / LENGTH_MULTIPLE) * LENGTH_MULTIPLE > maxPositions) {
    throw new Error(
      `${entry.name} rows reach ${longest} tokens but ${options.model} has only ${maxPositions} positions; pass a smaller --max-seq-length`,
    );
  }

  const stepsPerEpoch = Math.ceil(train.rows.length / options.batchSize);
  const totalSteps = Math.min(options.maxSteps ?? Infinity, options.epochs * stepsPerEpoch);
  const epochs = Math.ceil(totalSteps / stepsPerEpoch);
  const schedule = {
    peak: options.lr,
    warmupSteps: Math.round(options.warmup * totalSteps),
    totalSteps,
  };
  // Everything that decides the trained weights; a resume point of other settings is refused.
  const print = await fingerprint({
    config: model.config,
    weights: model.weights,
    task: entry.name,
    dataFiles: train.dataFiles,
    seed: options.seed,
  });
  const key = sha256(canonicalJson({
    weights: print.weightsHash,
    config: print.configHash,
    task: entry.name,
    rows: sha256(canonicalJson({ rows: train.rows, targets })),
    schedule,
    batchSize: options.batchSize,
    seed: options.seed,
    optimizer: options.optimizer,
    weightDecay: options.weightDecay,
  }));

  await Deno.mkdir(options.out, { recursive: true });
  const resumeDir = join(options.out, "resume");
  const logPath = join(options.out, "train_log.jsonl");
  const bestDir = join(options.out, "best");
  const gpu = options.gpu ?? await acquireGpu();
  const trainer = await Trainer.create(gpu, model, {
    optimizer: options.optimizer,
    weightDecay: options.weightDecay,
  });
  let log: string[] = [];
  let step = 0;
  let best: ResumeState["best"] = null;
  try {
    const saved = options.resume ? await loadResumeState(resumeDir) : undefined;
    if (options.resume && !saved) throw new Error(`--resume: no resume point in ${resumeDir}`);
    if (saved) {
      if (saved.key !== key) {
        throw new Error(
          `--resume: ${resumeDir} was saved by a run with other settings (model, data, schedule or seed)`,
        );
      }
      const tensors = await loadResumeTensors(resumeDir, saved);
      trainer.params.write("param", tensors.params);
      trainer.params.write("m", tensors.m);
      trainer.params.write("v", tensors.v);
      step = saved.step;
      best = saved.best;
      const text = (await statOrUndefined(logPath)) ? await Deno.readTextFile(logPath) : "";
      log = text.split("\n").filter((l) => l.length > 0).slice(0, saved.logLines);
    }
    const writeLog = () => writeAtomic(logPath, log.map((l) => l + "\n").join(""));
    const addLog = (line: LogLine) => log.push(JSON.stringify(line));
    // `params`: weights already read back at this step (an epoch's end), else read here.
    const savePoint = async (params?: Weights) => {
      await writeLog();
      await saveResumePoint(resumeDir, { key, step, best, logLines: log.length }, {
        params: params ?? await trainer.params.read("param"),
        m: await trainer.params.read("m"),
        v: await trainer.params.read("v"),
      });
    };

    // The largest shape first, so activation buffers are sized once.
    const largest = Math.ceil(longest / LENGTH_MULTIPLE) * LENGTH_MULTIPLE;
    await trainer.prepare({
      batch: Math.min(options.batchSize, train.rows.length),
      seqLen: largest,
      task,
    });

    const progress = createProgress({
      label: `train ${entry.name} seed ${options.seed}`,
      total: totalSteps,
      initial: step,
      unit: "steps",
      silent: options.silent,
    });
    let tokens = 0, windowTokens = 0, windowStart = performance.now();
    const trainStart = performance.now();
    try {
      for (let epoch = Math.floor(step / stepsPerEpoch) + 1; epoch <= epochs; epoch++) {
        const batches = epochBatches(train.rows, {
          batchSize: options.batchSize,
          seed: options.seed,
          epoch,
        });
        const epochEnd = Math.min(epoch * stepsPerEpoch, totalSteps);
        for (let i = step - (epoch - 1) * stepsPerEpoch; step < epochEnd; i++) {
          const batch = trainBatch(train.rows, targets, batches[i], {
            padId: tokenizer.special.pad,
            task,
          });
          const lr = linearWarmupDecay(step, schedule);
          await trainer.step(batch, { lr, step: step + 1, seed: options.seed * 1_000_003 + step });
          step++;
          const batchTokens = batches[i].reduce((n, r) => n + train.rows[r].inputIds.length, 0);
          tokens += batchTokens;
          windowTokens += batchTokens;
          if (step % options.logSteps === 0 || step === epochEnd) {
            const loss = await trainer.lastLoss();
            const seconds = (performance.now() - windowStart) / 1000;
            addLog({
              step,
              epoch,
              task: entry.name,
              loss,
              lr,
              grad_norm: await trainer.lastGradNorm(),
              tokens_per_second: windowTokens / seconds,
            });
            progress.detail(`loss ${loss.toFixed(4)}`);
            windowTokens = 0;
            windowStart = performance.now();
          }
          progress.update(step);
          options.onStep?.(step);
          if (options.signal?.aborted) {
            await savePoint();
            throw new TrainingInterrupted(
              `Training interrupted after step ${step}; continue with --resume (out ${options.out})`,
            );
          }
          if (step % options.saveSteps === 0 && step !== epochEnd) await savePoint();
        }
        const trained = makeModel(model.config, await trainer.params.read("param"));
        const metrics = await evaluateDev(gpu, trained, dev, {
          head: entry.head.kind,
          padId: tokenizer.special.pad,
          task,
          batchSize: options.batchSize,
          label: `dev ${entry.name} epoch ${epoch}`,
          silent: true,
        });
        const score = metrics[entry.metrics[0]];
        addLog({ step, epoch, task: entry.name, eval: metrics });
        if (best === null || score > best.score) {
          best = { score, epoch, metrics };
          await saveCheckpoint(bestDir, trained);
          await copyTokenizer(tokenizer.source, bestDir);
        }
        await savePoint(trained.weights);
      }
    } finally {
      progress.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    const tokensPerSecond = tokens / Math.max(1e-9, (performance.now() - trainStart) / 1000);
    const recordPath = await writeRecord({
      kind: "train",
      model: options.model,
      task: entry.name,
      seed: options.seed,
      steps: step,
      epochs,
      batchSize: options.batchSize,
      lr: options.lr,
      warmup: options.warmup,
      optimizer: options.optimizer,
      weightDecay: options.weightDecay,
      limit: options.limit ?? null,
      examples: train.rows.length,
      config: configToJson(model.config),
      best,
      checkpoint: bestDir,
      log: logPath,
      seconds,
      tokensPerSecond,
      device: gpu.description,
      fingerprint: print,
    }, { dir: options.recordsDir });
    return {
      task: entry.name,
      seed: options.seed,
      steps: step,
      best,
      checkpoint: bestDir,
      logPath,
      recordPath,
      seconds,
      tokensPerSecond,
    };
  } finally {
    trainer.destroy();
    if (!options.gpu) gpu.device.destroy();
  }
}

/** Dev metrics of the current weights, through the inference engine `eval` uses. */
async function evaluateDev(
  gpu: Gpu,
  model: Model,
  dev: PreparedTask,
  options: RunRowsOptions,
): Promise<Metrics> {
  const backend = await createWebGpuBackend(model, { gpu });
  try {
    const logits = await runRows(backend, dev.rows, { ...options, groupSize: dev.groupSize });
    const metrics = dev.finish(logits).metrics;
    if (!metrics) throw new Error("The dev split has no labels");
    return metrics;
  } finally {
    backend.dispose();
  }
}

/** Put the tokenizer file beside the checkpoint, so `eval` finds it there. */
async function copyTokenizer(source: string, dir: string): Promise<void> {
  const info = await statOrUndefined(source);
  if (!info?.isFile) return;
  const name = source.endsWith(".model") ? "spiece.model" : "vocab.txt";
  await writeAtomic(join(dir, name), [await Deno.readFile(source)]);
}
