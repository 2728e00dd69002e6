/** Parameter counting from a config's weight layout. */
import type { ModelConfig } from "./config.ts";
import { modelLayout, shapeSize } from "./layout.ts";

/** Parameters of the model with its head, counted from the layout (shared tensors once). */
export function countParameters(config: ModelConfig): number {
  return modelLayout(config).tensors.reduce((sum, t) => sum + shapeSize(t.shape), 0);
}

/** Parameters of the bare encoder with pooler (no head), as the papers count them. */
export function countEncoderParameters(config: ModelConfig): number {
  return countParameters({ ...config, head: { kind: "none" } });
}

/**
 * The PALs paper's parameter multiplier: all parameters of a multi-task model
 * (shared encoder + every task's adapter) over one encoder without adapters.
 */
export function parameterMultiplier(config: ModelConfig): number {
  const base = countEncoderParameters({ ...config, adapter: undefined });
  return countEncoderParameters(config) / base;
}
