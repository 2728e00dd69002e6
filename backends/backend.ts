/**
 * The interface both engines implement: the project's WebGPU kernels and the
 * ONNX Runtime reference. Both consume the same `Model` weights and return the
 * same outputs, so a test can compare them element by element.
 */
import type { Dtype } from "../runtime/kernel.ts";

/** One padded batch of token ids, row-major `[batchSize, seqLen]`. */
export interface EncoderInput {
  /** Rows in the batch. */
  batchSize: number;
  /** Tokens per row after padding; at most the model's `maxPositionEmbeddings`. */
  seqLen: number;
  /** Vocabulary ids, `batchSize · seqLen` values. */
  inputIds: Int32Array;
  /** Segment ids (0 first sentence, 1 second), `batchSize · seqLen` values. */
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
  /** Encoder output (after any top-projected adapter), `[batchSize, seqLen, hiddenSize]`. */
  lastHiddenState?: Float32Array;
  /** Pooler output (tanh dense over the first token), `[batchSize, hiddenSize]`. */
  pooledOutput?: Float32Array;
  /** Head scores, shaped per head as above; absent when the model has no head. */
  logits?: Float32Array;
}

/** What a backend reports about itself for run records. */
export interface BackendInfo {
  /** Engine: the project's WebGPU kernels or the ONNX Runtime reference. */
  name: "webgpu" | "onnxruntime";
  /** Adapter description or execution provider. */
  device: string;
  /** WebGPU adapter features, sorted (e.g. `shader-f16`); empty for ONNX Runtime. */
  features: string[];
  /** Storage precision of weights and activations (ONNX Runtime: always f32). */
  dtype?: Dtype;
}

/** A loaded model on one engine. */
export interface Backend {
  /** Engine, device and precision, as run records store them. */
  readonly info: BackendInfo;
  /** Run the encoder and head on one batch; `outputs` defaults to all three. */
  run(input: EncoderInput, outputs?: OutputName[]): Promise<EncoderOutput>;
  /** Free device memory and sessions. */
  dispose(): void;
}
