/**
 * Load the tokenizer of a Hugging Face checkpoint directory (`spiece.model`
 * for ALBERT, `vocab.txt` for BERT, switches from `tokenizer_config.json`), or
 * of one of those files given directly; and pick a model's tokenizer (the
 * flag's, the checkpoint's own, or the data directory's vocabulary).
 */
import { basename, dirname, join } from "node:path";
import { directoryProblem, statOrUndefined } from "../runtime/files.ts";
import { loadSentencePiece } from "./sentencepiece.ts";
import { loadWordPiece } from "./wordpiece.ts";
import type { Tokenizer } from "./tokenizer.ts";

const SENTENCEPIECE_FILE = "spiece.model";
const WORDPIECE_FILE = "vocab.txt";

/** The `tokenizer_config.json` keys that change how text is split. */
interface TokenizerConfig {
  do_lower_case?: boolean;
  keep_accents?: boolean;
  remove_space?: boolean;
  strip_accents?: boolean | null;
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The directory's `tokenizer_config.json`, or `{}` when there is none. */
async function readConfig(dir: string): Promise<TokenizerConfig> {
  const path = join(dir, "tokenizer_config.json");
  if (!isFile(path)) return {};
  let config: unknown;
  try {
    config = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Cannot read tokenizer config "${path}": ${reason}`, { cause: error });
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new Error(`Cannot read tokenizer config "${path}": expected a JSON object`);
  }
  const out = config as Record<string, unknown>;
  for (const key of ["do_lower_case", "keep_accents", "remove_space", "strip_accents"]) {
    const value = out[key];
    const nullable = key === "strip_accents" && value === null;
    if (value !== undefined && typeof value !== "boolean" && !nullable) {
      throw new Error(`Cannot read tokenizer config "${path}": "${key}" must be true or false`);
    }
  }
  return out as TokenizerConfig;
}

/**
 * Load a tokenizer from a checkpoint directory or a `spiece.model` /
 * `vocab.txt` file; a directory with both uses `spiece.model` (ALBERT).
 */
export async function loadTokenizer(dirOrFile: string): Promise<Tokenizer> {
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.stat(dirOrFile);
  } catch (error) {
    throw new Error(`Cannot load tokenizer "${dirOrFile}": no such file or directory`, {
      cause: error,
    });
  }
  let file = dirOrFile;
  if (stat.isDirectory) {
    const found = [SENTENCEPIECE_FILE, WORDPIECE_FILE].find((f) => isFile(join(dirOrFile, f)));
    if (found === undefined) {
      throw new Error(
        `Cannot load tokenizer "${dirOrFile}": the directory has neither ` +
          `"${SENTENCEPIECE_FILE}" (ALBERT) nor "${WORDPIECE_FILE}" (BERT)`,
      );
    }
    file = join(dirOrFile, found);
  }
  const config = await readConfig(dirname(file));
  // Any other file name is taken by its extension: `.model` is SentencePiece, the rest WordPiece.
  if (basename(file) === SENTENCEPIECE_FILE || file.endsWith(".model")) {
    return await loadSentencePiece(file, {
      doLowerCase: config.do_lower_case,
      keepAccents: config.keep_accents,
      removeSpace: config.remove_space,
    });
  }
  return await loadWordPiece(file, {
    doLowerCase: config.do_lower_case,
    stripAccents: config.strip_accents ?? undefined,
  });
}

/** Vocabulary under the data directory for a checkpoint that ships none, by `model_type`. */
const DEFAULT_VOCAB: Record<string, string> = {
  albert: "vocab/albert-base-v2",
  bert: "vocab/bert-base-uncased",
};

/**
 * `--tokenizer`, else the checkpoint's own tokenizer, else the data
 * directory's vocabulary; refused when it has more tokens than the model
 * embeds (ids past `vocab_size` would read outside the embedding table).
 */
export async function tokenizerFor(
  options: { tokenizer?: string; model: string; data: string },
  dir: string | undefined,
  config: { modelType: string; vocabSize: number },
): Promise<Tokenizer> {
  const tokenizer = await findTokenizer(options, dir, config.modelType);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new Error(
      `${tokenizer.source} has ${tokenizer.vocabSize} tokens but ${options.model} ` +
        `embeds only ${config.vocabSize} (vocab_size): they do not belong together`,
    );
  }
  return tokenizer;
}

async function findTokenizer(
  options: { tokenizer?: string; model: string; data: string },
  dir: string | undefined,
  modelType: string,
): Promise<Tokenizer> {
  if (options.tokenizer) return await loadTokenizer(options.tokenizer);
  if (dir) {
    for (const file of ["spiece.model", "vocab.txt"]) {
      if (await statOrUndefined(join(dir, file))) return await loadTokenizer(dir);
    }
  }
  const fallback = join(options.data, DEFAULT_VOCAB[modelType]);
  if (await statOrUndefined(fallback)) return await loadTokenizer(fallback);
  // Usually the data directory itself is missing (no --data): say that, not what it lacks.
  const problem = directoryProblem(options.data);
  if (problem) {
    throw new Error(
      `The data directory "${options.data}" ${problem}, so neither the task's data nor ` +
        `the vocabulary for ${options.model} can be read; pass --data DIR ` +
        `(e.g. --data ../shared/data) or set HARNESS_DATA`,
    );
  }
  const own = dir ? "its directory has no spiece.model or vocab.txt" : "it is not a checkpoint";
  throw new Error(
    `No tokenizer for ${options.model}: ${own}, no --tokenizer was given, and ${fallback} ` +
      `does not exist`,
  );
}
