/** A model in memory: its config, layout and float32 weights by Hugging Face name. */
import type { ModelConfig } from "./config.ts";
import { type ModelLayout, modelLayout } from "./layout.ts";

/** Weights by tensor name; every tensor is float32 in row-major order. */
export type Weights = Map<string, Float32Array>;

/** A config with its weights. */
export interface Model {
  /** The validated configuration. */
  config: ModelConfig;
  /** Tensor names and shapes derived from `config` by `modelLayout`. */
  layout: ModelLayout;
  /** One float32 array per tensor of `layout`. */
  weights: Weights;
}

/** Pair a config with weights, checking that every tensor of the layout is present. */
export function makeModel(config: ModelConfig, weights: Weights): Model {
  const layout = modelLayout(config);
  for (const spec of layout.tensors) {
    const data = weights.get(spec.name);
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (!data) throw new Error(`Missing tensor "${spec.name}"`);
    if (data.length !== size) {
      throw new Error(`Tensor "${spec.name}" has ${data.length} values, expected ${size}`);
    }
  }
  return { config, layout, weights };
}
