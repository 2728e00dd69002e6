/**
 * The `train` command for one seed: with the model, data, schedule and keys
 * that `plan.ts` derives (one task: its head fitted; several: a shared
 * backbone with per-task heads and adapters), train with the linear
 * warm-up/decay schedule. Each step's task is drawn by the schedule's
 * sampler (DESIGN.md §3; a single task is always drawn) and its batch taken
 * from that task's stream. After each epoch every task is evaluated on dev
 * through the inference engine and its best checkpoint kept (the papers
 * early-stop on dev, per task). Writes a JSONL training log and a run record.
 * Resume points are saved every `saveSteps` steps and at each epoch's end;
 * since the task draws, batches and dropout masks all follow from (seed,
 * step), a resumed run ends with the weights an uninterrupted one would have.
 * `dtype: "f16"` trains in mixed precision (`trainer.ts`) and evaluates dev in
 * f16; its loss-scale state is saved with each resume point.
 */
import { join } from "node:path";
import { configToJson } from "../models/config.ts";
import { makeModel, type Model, type Weights } from "../models/model.ts";
import type { AdapterChoice } from "../models/multitask.ts";
import { countParameters, parameterMultiplier } from "../models/params.ts";
import { acquireGpu } from "../runtime/device.ts";
import { slug, statOrUndefined, writeAtomic } from "../runtime/files.ts";
import { createProgress } from "../runtime/progress.ts";
import { DEFAULT_RECORDS_DIR, findRecord, writeRecord } from "../runtime/records.ts";
import type { Metrics } from "../tasks/task.ts";
import { type BestScore, evaluateDev, improves, keepCheckpoint } from "./dev_eval.ts";
import { TaskStream, trainBatch } from "./batches.ts";
import { planTraining, type TrainOptions } from "./plan.ts";
import { loadResumeState, loadResumeTensors, saveResumePoint } from "./resume.ts";
import { type Schedule, TaskSampler } from "./sampling.ts";
import { linearWarmupDecay } from "./schedule.ts";
import { checkpointSha256, lossCurve, reusedOutcome } from "./run_record.ts";
import type { TrainingTask } from "./task_data.ts";
import { type LossScaleState, Trainer } from "./trainer.ts";

export type { TrainOptions };

/** A run stopped by its signal; a resume point was saved first. */
export class TrainingInterrupted extends Error {
  /** `"TrainingInterrupted"`: the CLI exits 130 (as for SIGINT) on an error of this name. */
  override name = "TrainingInterrupted";
}

export type { BestScore };

/** What training produced for one task. */
export interface TaskOutcome {
  /** Registered task name (`glue/sst2`, ...). */
  task: string;
  /** The model's task index serving it. */
  index: number;
  /** Name of the metric `best.score` is. */
  metric: string;
  /** Best dev score by `metric`, its epoch and all dev metrics then: what `checkpoint` holds. */
  best: BestScore;
  /** Kept best checkpoint: `out/best`; multi-task `out/best/sst2` (for `glue/sst2`). */
  checkpoint: string;
  /** Hash of the kept checkpoint's files (`checkpointSha256`), when one was kept. */
  checkpointSha256?: string;
}

/** What a training run produced. */
export interface TrainOutcome {
  /** The seed of this run (`TrainOptions.seed`). */
  seed: number;
  /** Optimiser steps taken in all. */
  steps: number;
  /** One outcome per task, in the order given. */
  tasks: TaskOutcome[];
  /** The multi-task adapter (`none`: shared backbone, task heads); null unless multi-task. */
  adapter: AdapterChoice | null;
  /** How tasks were drawn; null for single-task training. */
  schedule: Schedule | null;
  /** Parameters of the trained model with its heads. */
  parameters: number;
  /** The PALs paper's multiplier: encoder with adapters over the bare encoder. */
  multiplier: number;
  /** The JSONL training log (`out/train_log.jsonl`): loss lines and dev evaluations. */
  logPath: string;
  /** The run record (JSON) written under `recordsDir`. */
  recordPath: string;
  /** Wall-clock seconds of this invocation (not earlier resumed parts), dev evaluation included. */
  seconds: number;
  /** Unpadded training tokens per second of this invocation's loop (dev evaluation included). */
  tokensPerSecond: number;
  /** True when an earlier run's record and checkpoints were reused instead of training. */
  reused: boolean;
}

/** A single log line of the training log. */
type LogLine = Record<string, number | string | Metrics>;

/** Train one model on one or more tasks with one seed. */
export async function runTrain(options: TrainOptions): Promise<TrainOutcome> {
  const started = performance.now();
  const {
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
  } = await planTraining(options);
  if (!options.force && !options.resume) {
    const found = await findRecord(options.recordsDir ?? DEFAULT_RECORDS_DIR, "train", workKey);
    const outcome = found && await reusedOutcome(found);
    if (outcome) return outcome;
    await assertNoEarlierRun(options.out, key, totalSteps);
  }

  await Deno.mkdir(options.out, { recursive: true });
  const resumeDir = join(options.out, "resume");
  const logPath = join(options.out, "train_log.jsonl");
  const bestDir = (t: TrainingTask) =>
    multiTask ? join(options.out, "best", slug(t.entry.name)) : join(options.out, "best");
  const gpu = options.gpu ?? await acquireGpu();
  const trainer = await Trainer.create(gpu, model, {
    optimizer: options.optimizer,
    weightDecay: options.weightDecay,
    adapterLrScale: (options.adapterLr ?? options.lr) / options.lr,
    dtype,
    lossScale,
  });
  // Each step's task and batch; a stream's shuffles are its own (task 0 keeps the run's seed).
  // The annealed α runs over the planned epochs, whether or not --max-steps cuts them short.
  const sampler = new TaskSampler(schedule, sizes, options.epochs, options.seed);
  const streams = tasks.map((t, i) =>
    new TaskStream(t.train.rows, {
      batchSize: options.batchSize,
      groupSize: t.train.groupSize,
      seed: i === 0 ? options.seed : options.seed * 65537 + i,
    })
  );
  const draw = (step: number) => {
    const t = sampler.draw(Math.floor(step / stepsPerEpoch) + 1);
    return { task: tasks[t], rows: streams[t].next() };
  };
  let log: string[] = [];
  let step = 0;
  let best: BestScore[] = tasks.map(() => null);
  try {
    const saved = options.resume ? await loadResumeState(resumeDir) : undefined;
    if (options.resume && !saved) throw new Error(`--resume: no resume point in ${resumeDir}`);
    if (saved) {
      if (saved.key !== key) {
        throw new Error(
          `--resume: ${resumeDir} was saved by a run with other settings (model, data, schedule or seed)`,
        );
      }
      if (saved.step > totalSteps || saved.best.length !== tasks.length) {
        throw new Error(
          `--resume: ${resumeDir}/state.json does not fit this run (step ${saved.step} of ` +
            `${totalSteps}, ${saved.best.length} scores for ${tasks.length} tasks)`,
        );
      }
      const tensors = await loadResumeTensors(resumeDir, saved);
      await trainer.params.write("param", tensors.params);
      await trainer.params.write("m", tensors.m);
      await trainer.params.write("v", tensors.v);
      if (dtype === "f16") {
        // The key includes f16, so this resume point was saved by an f16 run, which saves its scale.
        if (!saved.lossScale) {
          throw new Error(`--resume: ${resumeDir} lacks the f16 loss-scale state`);
        }
        trainer.writeLossScale(saved.lossScale);
      }
      step = saved.step;
      best = saved.best;
      const text = (await statOrUndefined(logPath)) ? await Deno.readTextFile(logPath) : "";
      log = text.split("\n").filter((l) => l.length > 0).slice(0, saved.logLines);
      for (let s = 0; s < step; s++) draw(s); // replay the draws the saved steps took
    }
    const writeLog = () => writeAtomic(logPath, log.map((l) => l + "\n").join(""));
    const addLog = (line: LogLine) => log.push(JSON.stringify(line));
    // `params`: weights already read back at this step (an epoch's end), else read here.
    const savePoint = async (params?: Weights) => {
      await writeLog();
      const scaleState = dtype === "f16" ? { lossScale: (await trainer.lossScale()).values } : {};
      await saveResumePoint(resumeDir, { key, step, best, logLines: log.length, ...scaleState }, {
        params: params ?? await trainer.params.read("param"),
        m: await trainer.params.read("m"),
        v: await trainer.params.read("v"),
      });
    };

    // The largest shape of each task first, so activation buffers are sized once.
    const shapes = tasks.map((t) => {
      const group = t.train.groupSize;
      return {
        batch: Math.min(options.batchSize, t.train.rows.length / group) * group,
        seqLen: t.longest,
        task: t.index,
        ...(group > 1 ? { choices: group } : {}),
      };
    });
    shapes.sort((a, b) => b.batch * b.seqLen - a.batch * a.seqLen);
    for (const shape of shapes) await trainer.prepare(shape);

    const progress = createProgress({
      label: `train ${
        names.length === 1 ? names[0] : `${names.length} tasks`
      } seed ${options.seed}`,
      total: totalSteps,
      initial: step,
      unit: "steps",
      silent: options.silent,
    });
    let tokens = 0, windowTokens = 0, windowStart = performance.now();
    const trainStart = performance.now();
    try {
      for (let epoch = Math.floor(step / stepsPerEpoch) + 1; epoch <= epochs; epoch++) {
        const epochEnd = Math.min(epoch * stepsPerEpoch, totalSteps);
        while (step < epochEnd) {
          const { task, rows } = draw(step);
          const batch = trainBatch(task.train.rows, task.targets, rows, {
            padId: tokenizer.special.pad,
            task: task.index,
            groupSize: task.train.groupSize,
          });
          const lr = linearWarmupDecay(step, lrSchedule);
          await trainer.step(batch, { lr, step: step + 1, seed: options.seed * 1_000_003 + step });
          step++;
          const batchTokens = rows.reduce((n, r) => n + task.train.rows[r].inputIds.length, 0);
          tokens += batchTokens;
          windowTokens += batchTokens;
          if (step % options.logSteps === 0 || step === epochEnd) {
            const { loss, gradNorm, lossScale } = await trainer.stepStats();
            if (!Number.isFinite(loss)) throw divergedError(`the loss is ${loss}`, step, options);
            const seconds = (performance.now() - windowStart) / 1000;
            addLog({
              step,
              epoch,
              task: task.entry.name,
              loss,
              lr,
              // A skipped f16 step's norm is infinite: logged as text, since JSON has no Infinity.
              grad_norm: finiteOrText(gradNorm),
              tokens_per_second: windowTokens / seconds,
              ...(dtype === "f16" ? lossScaleLog(lossScale) : {}),
            });
            progress.detail(
              `loss ${loss.toFixed(4)}${tasks.length > 1 ? ` ${task.entry.name}` : ""}`,
            );
            windowTokens = 0;
            windowStart = performance.now();
          }
          progress.update(step);
          options.onStep?.(step);
          // At an epoch's end the dev evaluation and its resume point come first (below).
          if (options.signal?.aborted && step !== epochEnd) {
            await savePoint();
            throw new TrainingInterrupted(
              `Training interrupted after step ${step}; continue with --resume (out ${options.out})`,
            );
          }
          if (step % options.saveSteps === 0 && step !== epochEnd) await savePoint();
        }
        const trained = makeModel(model.config, await trainer.params.read("param"));
        // Weights past f32's range would be kept as the best checkpoint and refused on load.
        const broken = nonFiniteWeight(trained.weights);
        if (broken) throw divergedError(`weight "${broken}" is not finite`, step, options);
        const metrics = await evaluateDev(gpu, trained, tasks, {
          batchSize: options.batchSize,
          padId: tokenizer.special.pad,
          dtype,
        });
        for (const [i, t] of tasks.entries()) {
          const score = metrics[i][t.entry.metrics[0]];
          addLog({ step, epoch, task: t.entry.name, eval: metrics[i] });
          if (improves(score, best[i])) {
            best[i] = { score, epoch, metrics: metrics[i] };
            await keepCheckpoint(bestDir(t), trained, tokenizer.source);
          }
        }
        await savePoint(trained.weights);
        if (options.signal?.aborted && epoch < epochs) {
          throw new TrainingInterrupted(
            `Training interrupted after epoch ${epoch}; continue with --resume (out ${options.out})`,
          );
        }
      }
    } finally {
      progress.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    const tokensPerSecond = tokens / Math.max(1e-9, (performance.now() - trainStart) / 1000);
    const outcomes: TaskOutcome[] = await Promise.all(tasks.map(async (t, i) => ({
      task: t.entry.name,
      index: t.index,
      metric: t.entry.metrics[0],
      best: best[i],
      checkpoint: bestDir(t),
      checkpointSha256: best[i] ? await checkpointSha256(bestDir(t)) : undefined,
    })));
    const adapter = multiTaskAdapter(model);
    const parameters = countParameters(model.config);
    const multiplier = parameterMultiplier(model.config);
    const recordPath = await writeRecord({
      kind: "train",
      model: options.model,
      tasks: outcomes,
      adapter,
      schedule: multiTask ? schedule : null,
      stepsPerEpoch,
      seed: options.seed,
      steps: step,
      epochs,
      batchSize: options.batchSize,
      lr: options.lr,
      adapterLr: options.adapterLr ?? null,
      warmup: options.warmup,
      optimizer: options.optimizer,
      weightDecay: options.weightDecay,
      limit: options.limit ?? null,
      evalLimit: options.evalLimit ?? null,
      examples: sizes,
      parameters,
      multiplier,
      config: configToJson(model.config),
      log: logPath,
      lossCurve: lossCurve(log),
      seconds,
      tokensPerSecond,
      device: gpu.description,
      ...(dtype === "f16" ? { dtype, skippedSteps: (await trainer.lossScale()).skippedSteps } : {}),
      workKey,
      fingerprint: print,
    }, { dir: options.recordsDir });
    return {
      seed: options.seed,
      steps: step,
      tasks: outcomes,
      adapter,
      schedule: multiTask ? schedule : null,
      parameters,
      multiplier,
      logPath,
      recordPath,
      seconds,
      tokensPerSecond,
      reused: false,
    };
  } finally {
    trainer.destroy();
    if (!options.gpu) gpu.device.destroy();
  }
}

/**
 * The log fields of mixed-precision training (the loss scale and the steps
 * skipped so far); stops the run when gradients overflowed f16 even at scale
 * 1, which no scale can fix and which would otherwise skip every later step.
 */
function lossScaleLog(
  { scale, skippedSteps, overflowsAtMinimum }: LossScaleState,
): LogLine {
  if (overflowsAtMinimum > 0) {
    throw new Error(
      `f16 training overflowed at loss scale 1 (${skippedSteps} steps skipped): the model's activations or gradients exceed f16's range; train with --dtype f32 or a lower learning rate`,
    );
  }
  return { loss_scale: scale, skipped_steps: skippedSteps };
}

/**
 * Refuse to start over in an `--out` that holds another run's files, which
 * starting over would replace (`--force` does), or an unfinished run of these
 * settings, whose steps `--resume` keeps. A finished run of these settings
 * may be redone: it trains the same weights again (say, for changed dev data).
 */
async function assertNoEarlierRun(out: string, key: string, totalSteps: number): Promise<void> {
  const found = [];
  for (const name of ["train_log.jsonl", "best", "resume"]) {
    if (await statOrUndefined(join(out, name))) found.push(name);
  }
  if (found.length === 0) return;
  const saved = await loadResumeState(join(out, "resume"));
  if (saved?.key === key && saved.step >= totalSteps) return;
  if (saved?.key === key) {
    throw new Error(
      `${out} holds an unfinished run of these settings (step ${saved.step} of ${totalSteps}): ` +
        `continue it with --resume, or start it over with --force`,
    );
  }
  throw new Error(
    `${out} holds another training run (${found.join(", ")}); pass --force to replace it, ` +
      `or choose another --out`,
  );
}

/** Training went numerically wrong: stop before a broken model is kept or recorded. */
function divergedError(what: string, step: number, options: TrainOptions): Error {
  return new Error(
    `Training diverged at step ${step} (${what}); no record was written. Train again with a ` +
      `lower --lr (was ${options.lr})${options.dtype === "f16" ? " or with --dtype f32" : ""}`,
  );
}

/** The name of the first tensor holding NaN or ±Infinity, if any. */
function nonFiniteWeight(weights: Weights): string | undefined {
  for (const [name, tensor] of weights) {
    if (tensor.some((x) => !Number.isFinite(x))) return name;
  }
  return undefined;
}

/** A number, or its text when it is not finite (JSON would write null). */
function finiteOrText(value: number): number | string {
  return Number.isFinite(value) ? value : String(value);
}

/** The adapter a model carries (`none` for per-task heads without one), or null for a single head. */
function multiTaskAdapter(model: Model): AdapterChoice | null {
  if (model.config.adapter) return model.config.adapter.kind;
  return model.config.head.kind === "multi-task" ? "none" : null;
}
