/**
 * Checkpoint I/O in the Hugging Face layout: a directory with `config.json` and
 * either `model.safetensors` or shards listed in `model.safetensors.index.json`
 * (`{"weight_map": {tensor: shardFile}}`).
 *
 * Loading checks the tensors against the config's layout: a missing, unexpected
 * or mis-shaped tensor is one error naming the tensor and the file. Hugging Face
 * checkpoints also carry tensors that are not part of the model we run; these
 * are dropped on load:
 *
 * - `{albert,bert}.embeddings.position_ids`: a buffer of `0..511`, not a weight;
 * - pre-training heads: `predictions.*` (ALBERT MLM), `sop_classifier.*`
 *   (ALBERT sentence-order) and `cls.*` (BERT MLM and NSP).
 *
 * A base model saved alone by some `transformers` versions has names without
 * the `albert.`/`bert.` prefix; when no name has the prefix, it is added.
 *
 * Saving writes every file to a temporary name in the same directory and
 * renames it into place, so a crash never leaves a half-written file.
 */
import { configToJson, type ModelConfig, parseConfig } from "./config.ts";
import { modelLayout } from "./layout.ts";
import { makeModel, type Model, type Weights } from "./model.ts";
import { removeIfPresent, statOrUndefined, writeAtomic } from "../runtime/files.ts";
import {
  CheckpointError,
  readSafetensors,
  safetensorsChunks,
  type SafetensorsTensor,
} from "./safetensors.ts";

export { CheckpointError } from "./safetensors.ts";

/** File names of the Hugging Face layout. */
export const CONFIG_FILE = "config.json";
/** Single-file weights. */
export const WEIGHTS_FILE = "model.safetensors";
/** Index of sharded weights. */
export const WEIGHTS_INDEX_FILE = "model.safetensors.index.json";

/** Options for `saveCheckpoint`. */
export interface SaveCheckpointOptions {
  /** Split the weights into shards of at most this many bytes (one tensor may exceed it). */
  maxShardBytes?: number;
  /** Element type on disk; float32 unless told. */
  dtype?: "F32" | "F16";
}

const EXPECTED = `${CONFIG_FILE} and ${WEIGHTS_FILE} or ${WEIGHTS_INDEX_FILE}`;

/** Whether a loaded tensor is a known non-model tensor that loading drops. */
export function isIgnoredTensor(name: string): boolean {
  return /^(albert|bert)\.embeddings\.position_ids$/.test(name) ||
    /^(predictions|cls|sop_classifier)\./.test(name);
}

/** Read and check only a checkpoint directory's `config.json`: cheap, for checks before work. */
export async function loadCheckpointConfig(dir: string): Promise<ModelConfig> {
  const fail = (message: string): never => {
    throw new CheckpointError(`Cannot load checkpoint "${dir}": ${message}`);
  };
  const info = await statOrUndefined(dir);
  if (!info) fail(`directory not found (expected a directory with ${EXPECTED})`);
  if (!info!.isDirectory) fail(`not a directory (expected a directory with ${EXPECTED})`);
  const configPath = join(dir, CONFIG_FILE);
  if (!await statOrUndefined(configPath)) fail(`missing "${configPath}" (expected ${EXPECTED})`);
  return parseConfig(await readJson(configPath), configPath);
}

/** Load a Hugging Face layout checkpoint directory and validate it against its config. */
export async function loadCheckpoint(dir: string): Promise<Model> {
  const fail = (message: string): never => {
    throw new CheckpointError(`Cannot load checkpoint "${dir}": ${message}`);
  };
  const config = await loadCheckpointConfig(dir);

  const { tensors, files, source } = await readWeights(dir, fail);
  const root = `${config.modelType}.`;
  const layout = new Map(modelLayout(config).tensors.map((t) => [t.name, t.shape]));
  // A prefix-less base model: no tensor carries the root prefix, so add it where it fits.
  const addPrefix = ![...tensors.keys()].some((name) => name.startsWith(root));
  const weights: Weights = new Map();
  for (const [stored, tensor] of tensors) {
    const name = addPrefix && !layout.has(stored) ? root + stored : stored;
    if (isIgnoredTensor(stored) || isIgnoredTensor(name)) continue;
    const spec = layout.get(name);
    if (!spec) {
      fail(
        `unexpected tensor "${stored}" in "${
          files.get(stored)
        }" (not in the ${config.modelType} layout)`,
      );
    }
    if (!sameShape(spec!, tensor.shape)) {
      fail(
        `tensor "${name}" has shape [${tensor.shape.join(", ")}], expected [${
          spec!.join(", ")
        }] in "${files.get(stored)}"`,
      );
    }
    // A NaN or infinite weight (a diverged run) would score as a plausible constant prediction.
    const bad = tensor.data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      fail(`tensor "${name}" in "${files.get(stored)}" holds ${tensor.data[bad]} at index ${bad}`);
    }
    weights.set(name, tensor.data);
  }
  const missing = [...layout.keys()].filter((name) => !weights.has(name));
  if (missing.length > 0) {
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : "";
    fail(`tensor "${missing[0]}" is missing from "${source}"${more}`);
  }
  return makeModel(config, weights);
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}

type Fail = (message: string) => never;

/** Tensors as stored, the file each came from, and the file that lists them all. */
interface StoredWeights {
  tensors: Map<string, SafetensorsTensor>;
  files: Map<string, string>;
  source: string;
}

async function readWeights(dir: string, fail: Fail): Promise<StoredWeights> {
  const single = join(dir, WEIGHTS_FILE);
  const indexPath = join(dir, WEIGHTS_INDEX_FILE);
  const files = new Map<string, string>();
  const tensors = new Map<string, SafetensorsTensor>();
  if (await statOrUndefined(single)) {
    for (const [name, tensor] of (await readSafetensors(single)).tensors) {
      tensors.set(name, tensor);
      files.set(name, single);
    }
    return { tensors, files, source: single };
  }
  if (!await statOrUndefined(indexPath)) {
    const bin = await statOrUndefined(join(dir, "pytorch_model.bin"));
    const hint = bin ? `; "pytorch_model.bin" is not supported, convert it to safetensors` : "";
    fail(`missing weights: expected "${single}" or "${indexPath}"${hint}`);
  }
  const index = await readJson(indexPath) as { weight_map?: unknown };
  const map = index?.weight_map;
  if (
    typeof map !== "object" || map === null || Array.isArray(map) ||
    !Object.values(map).every((f) => typeof f === "string" && f.length > 0)
  ) {
    fail(`"${indexPath}" has no valid "weight_map" (tensor name -> shard file)`);
  }
  const weightMap = map as Record<string, string>;
  for (const shard of new Set(Object.values(weightMap))) {
    if (shard.includes("/") || shard.includes("\\") || shard.startsWith(".")) {
      fail(`"${indexPath}" names shard "${shard}" outside the checkpoint directory`);
    }
    const shardPath = join(dir, shard);
    if (!await statOrUndefined(shardPath)) {
      fail(`shard "${shardPath}" listed in "${indexPath}" is missing`);
    }
    for (const [name, tensor] of (await readSafetensors(shardPath)).tensors) {
      if (weightMap[name] !== shard) {
        fail(`tensor "${name}" in "${shardPath}" is not mapped to that shard in "${indexPath}"`);
      }
      tensors.set(name, tensor);
      files.set(name, shardPath);
    }
  }
  const absent = Object.keys(weightMap).find((name) => !tensors.has(name));
  if (absent !== undefined) {
    fail(`tensor "${absent}" is missing from "${join(dir, weightMap[absent])}"`);
  }
  return { tensors, files, source: indexPath };
}

/** Save a model as `config.json` plus `model.safetensors` (or shards and an index), atomically. */
export async function saveCheckpoint(
  dir: string,
  model: Model,
  options: SaveCheckpointOptions = {},
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const metadata = { format: "pt" };
  const dtype = options.dtype ?? "F32";
  const bytesPer = dtype === "F32" ? 4 : 2;
  const entries: [string, SafetensorsTensor][] = model.layout.tensors.map((spec) => [
    spec.name,
    { shape: spec.shape, data: model.weights.get(spec.name)! },
  ]);

  const shards: [string, SafetensorsTensor][][] = [[]];
  let shardBytes = 0;
  for (const entry of entries) {
    const bytes = entry[1].data.length * bytesPer;
    const limit = options.maxShardBytes;
    if (limit !== undefined && shardBytes > 0 && shardBytes + bytes > limit) {
      shards.push([]);
      shardBytes = 0;
    }
    shards.at(-1)!.push(entry);
    shardBytes += bytes;
  }

  const json = new TextEncoder().encode(JSON.stringify(configToJson(model.config), null, 2) + "\n");
  await writeAtomic(join(dir, CONFIG_FILE), [json]);
  if (options.maxShardBytes === undefined) {
    await writeAtomic(join(dir, WEIGHTS_FILE), safetensorsChunks(entries, { dtype, metadata }));
    await removeIfPresent(join(dir, WEIGHTS_INDEX_FILE));
    return;
  }
  // Hugging Face's shard names: model-00001-of-00003.safetensors.
  const pad = (n: number) => String(n).padStart(5, "0");
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (const [i, shard] of shards.entries()) {
    const file = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
    await writeAtomic(join(dir, file), safetensorsChunks(shard, { dtype, metadata }));
    for (const [name, tensor] of shard) {
      weightMap[name] = file;
      totalSize += tensor.data.length * bytesPer;
    }
  }
  const index = { metadata: { total_size: totalSize }, weight_map: weightMap };
  const indexBytes = new TextEncoder().encode(JSON.stringify(index, null, 2) + "\n");
  await writeAtomic(join(dir, WEIGHTS_INDEX_FILE), [indexBytes]);
  // A stale single file would take precedence over the new index on load.
  await removeIfPresent(join(dir, WEIGHTS_FILE));
}

async function readJson(path: string): Promise<unknown> {
  const text = await Deno.readTextFile(path);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(`Cannot parse "${path}": ${(error as Error).message}`);
  }
}

function join(dir: string, file: string): string {
  return dir.endsWith("/") ? dir + file : `${dir}/${file}`;
}
