/**
 * Turn what a user typed (`--model ...`) into a model: a zoo name gets seeded
 * random weights, a directory is loaded as a Hugging Face checkpoint, and a
 * `.json` file is read as a `config.json` and given seeded random weights.
 */
import { loadCheckpoint, loadCheckpointConfig } from "./checkpoint.ts";
import { dirname } from "node:path";
import { statOrUndefined } from "../runtime/files.ts";
import { type ModelConfig, parseConfig } from "./config.ts";
import { randomModel } from "./init.ts";
import type { Model } from "./model.ts";
import { zoo } from "./zoo.ts";

/** Options for `resolveModel`. */
export interface ResolveModelOptions {
  /** Seed of the random weights for zoo names and config files; 0 unless told. */
  seed?: number;
}

/** Resolve a zoo name, checkpoint directory or `config.json` path to a model. */
export async function resolveModel(
  spec: string,
  options: ResolveModelOptions = {},
): Promise<Model> {
  const seed = options.seed ?? 0;
  const source = await resolveSource(spec);
  return source.kind === "checkpoint"
    ? await loadCheckpoint(spec)
    : randomModel(source.config, seed);
}

/**
 * Only the config of what `resolveModel` would build, without reading or
 * making weights: for checks before work starts (e.g. a sequence length).
 */
export async function resolveConfig(spec: string): Promise<ModelConfig> {
  const source = await resolveSource(spec);
  return source.kind === "checkpoint" ? await loadCheckpointConfig(spec) : source.config;
}

/** The spec is neither a zoo name nor an existing checkpoint directory or config file. */
export class UnknownModelError extends Error {
  override name = "UnknownModelError";
}

type Source = { kind: "checkpoint" } | { kind: "config"; config: ModelConfig };

async function resolveSource(spec: string): Promise<Source> {
  const entry = zoo().find((e) => e.name === spec);
  if (entry) return { kind: "config", config: entry.config };
  const info = await statOrUndefined(spec);
  if (info?.isDirectory) return { kind: "checkpoint" };
  if (info?.isFile && spec.endsWith(".json")) {
    let json: unknown;
    try {
      json = JSON.parse(await Deno.readTextFile(spec));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      throw new Error(`Cannot read config "${spec}": ${error.message}`);
    }
    return { kind: "config", config: parseConfig(json, spec) };
  }
  const examples = ["albert-base-v2", "albert-xxlarge-v2", "bert-base-uncased", "tiny-albert"];
  const what = info?.isFile
    ? "is a file but not a config .json (pass the checkpoint directory instead)"
    : "is neither a known model nor a checkpoint directory";
  throw new UnknownModelError(
    `Cannot resolve model "${spec}": it ${what}; known models include ${
      examples.join(", ")
    } (see \`deno task harness models\` for all), or pass a directory with config.json and model.safetensors`,
  );
}

/** The checkpoint directory of a `--model` value (a directory or its config.json), if any. */
export async function checkpointDir(model: string): Promise<string | undefined> {
  const info = await statOrUndefined(model);
  if (info?.isDirectory) return model;
  if (info?.isFile && model.endsWith(".json")) return dirname(model);
  return undefined;
}
