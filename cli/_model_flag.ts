/** The `--model`/`--models` flags shared by `bench`, `eval` and `train`. */
import type { ModelConfig } from "../models/config.ts";
import { resolveConfig, UnknownModelError } from "../models/resolve.ts";
import { UsageError } from "./flags.ts";

/**
 * The config of a `--model`/`--models` entry (zoo name, checkpoint directory or
 * config.json), read before any work starts; an unknown name is a usage error.
 */
export async function modelConfigFlag(value: string): Promise<ModelConfig> {
  try {
    return await resolveConfig(value);
  } catch (error) {
    if (error instanceof UnknownModelError) throw new UsageError(error.message);
    throw error;
  }
}
