/**
 * The interface both engines implement: the project's WebGPU kernels and the
 * ONNX Runtime reference. Both consume the same `Model` weights and return the
 * same outputs, so a test can compare them element by element.
 */
import type { Dtype } from "../runtime/kernel.ts";

/** One padded batch of token ids, row-major `[batchSize, seqLen]`. */
export interface EncoderInput {
  batchSize: number;
  seqLen: number;
  inputIds: Int32Array;
  tokenTypeIds: Int32Array;
  /** 1 for a real token, 0 for padding. */
  attentionMask: Int32Array;
  /** Task index of a multi-task (PAL) model; the whole batch runs one task. */
  task?: number;
}

/** Which outputs to copy back to the CPU. */
export type OutputName = "lastHiddenState" | "pooledOutput" | "logits";

/**
 * Encoder outputs. `logits` depends on the head: sequence classification and
 * multi-task `[batchSize, numLabels]`; question answering `[batchSize, seqLen, 2]`
 * (start, end); multiple choice `[batchSize]`, one score per input row (the
 * caller groups rows into choices).
 */
export interface EncoderOutput {
  lastHiddenState?: Float32Array;
  pooledOutput?: Float32Array;
  logits?: Float32Array;
}

/** What a backend reports about itself for run records. */
export interface BackendInfo {
  name: "webgpu" | "onnxruntime";
  /** Adapter description or execution provider. */
  device: string;
  features: string[];
  /** Storage precision of weights and activations (ONNX Runtime: always f32). */
  dtype?: Dtype;
}

/** A loaded model on one engine. */
export interface Backend {
  readonly info: BackendInfo;
  /** Run the encoder and head on one batch; `outputs` defaults to all three. */
  run(input: EncoderInput, outputs?: OutputName[]): Promise<EncoderOutput>;
  /** Free device memory and sessions. */
  dispose(): void;
}
