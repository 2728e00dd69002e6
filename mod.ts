/**
 * The harness's public library API: model configs and the zoo, parameter
 * counting, weight layout, checkpoints, the two engines behind the `Backend`
 * interface (WebGPU kernels and the ONNX Runtime reference), run-record
 * fingerprints and files, summary statistics, tokenizers, the task registry
 * (GLUE, SQuAD, RACE) with official metrics, and end-to-end evaluation.
 *
 * @example
 * ```ts
 * import { createWebGpuBackend, resolveModel } from "./mod.ts";
 * const model = await resolveModel("albert-base-v2", { seed: 0 });
 * const backend = await createWebGpuBackend(model);
 * ```
 *
 * @module
 */
export * from "./models/config.ts";
export * from "./models/zoo.ts";
export * from "./models/params.ts";
export * from "./models/layout.ts";
export * from "./models/model.ts";
export { loadCheckpoint, saveCheckpoint, type SaveCheckpointOptions } from "./models/checkpoint.ts";
export { CheckpointError } from "./models/safetensors.ts";
export { initWeights, randomModel } from "./models/init.ts";
export { resolveModel, type ResolveModelOptions } from "./models/resolve.ts";
export type * from "./backends/backend.ts";
export {
  createWebGpuBackend,
  WebGpuBackend,
  type WebGpuOptions,
} from "./backends/webgpu/engine.ts";
export { createOnnxBackend, OnnxBackend, type OnnxBackendOptions } from "./backends/onnx/engine.ts";
export { buildOnnxModel, type BuildOptions } from "./backends/onnx/graph.ts";
export { type MatmulVariant, SubgroupUnsupportedError } from "./kernels/matmul.ts";
export { BufferLimitError } from "./kernels/linear_weights.ts";
export type { Dtype } from "./runtime/kernel.ts";
export * from "./runtime/device.ts";
export * from "./runtime/fingerprint.ts";
export * from "./runtime/records.ts";
export * from "./runtime/stats.ts";
export type { Interval } from "./runtime/bootstrap.ts";
export type * from "./tokenizers/tokenizer.ts";
export { encodePair, truncateLongestFirst } from "./tokenizers/tokenizer.ts";
export { loadTokenizer } from "./tokenizers/load.ts";
export { loadSentencePiece, type SentencePieceOptions } from "./tokenizers/sentencepiece.ts";
export {
  loadWordPiece,
  type WordPieceOptions,
  WordPieceTokenizer,
} from "./tokenizers/wordpiece.ts";
export type * from "./tasks/task.ts";
export { DataError, PredictionsError } from "./tasks/task.ts";
export { taskEntries, taskEntry, taskNames } from "./tasks/registry.ts";
export { evaluateV1, evaluateV2, normalizeAnswer, type Warn } from "./tasks/squad/evaluate.ts";
export type { SquadExample } from "./tasks/squad/load.ts";
export { accuracy, f1Binary, matthewsCorrcoef, pearson, spearman } from "./tasks/glue/metrics.ts";
export { type EvalOptions, type EvalOutcome, runEval } from "./evaluate/eval.ts";
export {
  type BestScore,
  runTrain,
  type TaskOutcome,
  TrainingInterrupted,
  type TrainOptions,
  type TrainOutcome,
} from "./train/run.ts";
export {
  DEFAULT_OPTIMIZER,
  type LossScaleState,
  type OptimizerOptions,
  type PrecisionOptions,
  type StepStats,
  type TrainBatch,
  Trainer,
} from "./train/trainer.ts";
export { linearWarmupDecay } from "./train/schedule.ts";
export type { StepShape } from "./train/step_plan.ts";
export { type Schedule, SCHEDULES, TaskSampler } from "./train/sampling.ts";
export {
  type AdapterChoice,
  defaultHiddenSizeAug,
  multiTaskConfig,
  type MultiTaskOptions,
} from "./models/multitask.ts";
export {
  checksOfRecord,
  compareSnapshots,
  DEFAULT_TOLERANCES,
  type GateLine,
  gateMarkdown,
  type GateResult,
  type GateSnapshot,
  type GateTolerances,
  mergeSnapshots,
  type ScoreCheck,
  type SpeedCheck,
} from "./ci/gate.ts";
