/**
 * What both ONNX Runtime packages (onnxruntime-node, onnxruntime-web) need
 * around `session.run`: the int64 inputs of a batch under the graph's input
 * names, and which of the requested outputs the graph has.
 */
import type { EncoderInput, OutputName } from "../backend.ts";
import type { ModelConfig } from "../../models/config.ts";
import { ONNX_INPUTS } from "./graph.ts";

/** Every output a backend returns when none are named. */
export const ALL_OUTPUTS: OutputName[] = ["lastHiddenState", "pooledOutput", "logits"];

/** The requested outputs the graph has (no `logits` without a head). */
export function wantedOutputs(config: ModelConfig, outputs: OutputName[]): OutputName[] {
  const hasHead = config.head.kind !== "none";
  return outputs.filter((name) => name !== "logits" || hasHead);
}

/** The batch's three inputs as int64 data with their graph names and `[batch, seqLen]` dims. */
export function int64Inputs(
  input: EncoderInput,
): { name: string; data: BigInt64Array; dims: number[] }[] {
  const arrays = [input.inputIds, input.tokenTypeIds, input.attentionMask];
  return ONNX_INPUTS.map((name, i) => ({
    name,
    data: BigInt64Array.from(arrays[i], (v) => BigInt(v)),
    dims: [input.batchSize, input.seqLen],
  }));
}
