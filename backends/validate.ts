/**
 * Input checks shared by both engines, so a bad batch gets the same clear
 * message whichever backend runs it (instead of a kernel reading out of
 * range or an ONNX Runtime Gather error).
 */
import type { EncoderInput } from "./backend.ts";
import { type ModelConfig, taskCount } from "../models/config.ts";

/** Check shape, ids, types, mask and task against the config; returns the task index. */
export function validateInput(
  config: ModelConfig,
  input: EncoderInput,
  defaultTask = 0,
): number {
  const { batchSize: B, seqLen: T } = input;
  const rows = B * T;
  if (!Number.isInteger(B) || !Number.isInteger(T) || B < 1 || T < 1) {
    throw new Error(`Invalid batch shape [${B}, ${T}]`);
  }
  if (T > config.maxPositionEmbeddings) {
    throw new Error(
      `Sequence length ${T} exceeds max_position_embeddings ${config.maxPositionEmbeddings}`,
    );
  }
  for (
    const [name, array] of [
      ["input_ids", input.inputIds],
      ["token_type_ids", input.tokenTypeIds],
      ["attention_mask", input.attentionMask],
    ] as const
  ) {
    if (array.length !== rows) {
      throw new Error(`Input "${name}" has ${array.length} values, expected ${B}×${T} = ${rows}`);
    }
  }
  for (let i = 0; i < rows; i++) {
    const id = input.inputIds[i];
    if (id < 0 || id >= config.vocabSize) {
      throw new Error(
        `Token id ${id} at position ${i} is outside the vocabulary (size ${config.vocabSize})`,
      );
    }
    const type = input.tokenTypeIds[i];
    if (type < 0 || type >= config.typeVocabSize) {
      throw new Error(
        `Token type ${type} at position ${i} is outside type_vocab_size ${config.typeVocabSize}`,
      );
    }
  }
  for (let b = 0; b < B; b++) {
    let tokens = 0;
    for (let t = 0; t < T; t++) tokens += input.attentionMask[b * T + t] === 0 ? 0 : 1;
    if (tokens === 0) throw new Error(`Sequence ${b} of the batch has no unmasked token`);
  }
  const task = input.task ?? defaultTask;
  const tasks = taskCount(config);
  if (!Number.isInteger(task) || task < 0 || task >= tasks) {
    throw new Error(`Task index ${task} is out of range: the model has ${tasks} task(s)`);
  }
  return task;
}
