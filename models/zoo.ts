/**
 * The model zoo: named configs for the released ALBERT and BERT models, the
 * ALBERT paper's ablations, BERT-base with BERT-and-PALs adapters, and tiny
 * configs for tests. Every entry goes through `parseConfig`, so a zoo config
 * is validated exactly as a user's `config.json` is.
 */
import { type ModelConfig, parseConfig } from "./config.ts";

/** One named model. */
export interface ZooEntry {
  /** Name to pass as `--model`, e.g. `albert-base-v2` or `tiny-bert`. */
  name: string;
  /** The entry's config, validated by `parseConfig`. */
  config: ModelConfig;
  /** The paper's rounded parameter figure (ALBERT Tables 1, 3 and 4), when it has one. */
  paperParams?: string;
  /** Which group of the zoo the entry belongs to. */
  family: "released" | "ablation" | "pals" | "tiny";
}

type Json = Record<string, unknown>;

const albertBase: Json = {
  model_type: "albert",
  vocab_size: 30000,
  embedding_size: 128,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  num_hidden_groups: 1,
  inner_group_num: 1,
};

const bertBase: Json = {
  model_type: "bert",
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: "gelu",
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
};

// [size, H, I, heads, L, paper figure] from the released ALBERT configs and Table 1.
const ALBERT_SIZES: [string, number, number, number, number, string][] = [
  ["base", 768, 3072, 12, 12, "12M"],
  ["large", 1024, 4096, 16, 24, "18M"],
  ["xlarge", 2048, 8192, 16, 24, "60M"],
  ["xxlarge", 4096, 16384, 64, 12, "235M"],
];

// ALBERT Tables 3 and 4 (ALBERT-base): paper figures by embedding size and sharing.
const ABLATION_PAPER_PARAMS: Record<string, string> = {
  "64/not-shared": "87M",
  "64/all-shared": "10M",
  "128/not-shared": "89M",
  "128/all-shared": "12M",
  "128/shared-attention": "64M",
  "128/shared-FFN": "38M",
  "256/not-shared": "93M",
  "256/all-shared": "16M",
  "768/not-shared": "108M",
  "768/all-shared": "31M",
  "768/shared-attention": "83M",
  "768/shared-FFN": "57M",
};

/** Number of tasks the named PAL models carry: the paper's 8 GLUE tasks. */
export const PAL_ZOO_TASKS = 8;

const PAL_VARIANTS: Record<string, Json> = {
  "pals": { mult: true, pals: true, hidden_size_aug: 204 },
  "pals-top-half": { mult: true, pals: true, hidden_size_aug: 204, adapter_layers: "top-half" },
  "low-rank": { mult: true, hidden_size_aug: 100 },
  "top-projected": { top: true, hidden_size_aug: 204 },
};

function entries(): ZooEntry[] {
  const list: ZooEntry[] = [];
  const push = (
    name: string,
    json: Json,
    family: ZooEntry["family"],
    paperParams?: string,
  ) => list.push({ name, config: parseConfig(json, `zoo:${name}`), family, paperParams });

  for (const version of ["v1", "v2"]) {
    for (const [size, H, I, heads, L, paper] of ALBERT_SIZES) {
      // v1 configs use exact GELU and dropout 0.1; v2 uses gelu_new and no dropout.
      const v1 = version === "v1";
      push(
        `albert-${size}-${version}`,
        {
          ...albertBase,
          hidden_size: H,
          intermediate_size: I,
          num_attention_heads: heads,
          num_hidden_layers: L,
          hidden_act: v1 ? "gelu" : "gelu_new",
          hidden_dropout_prob: v1 ? 0.1 : 0,
          attention_probs_dropout_prob: v1 ? 0.1 : 0,
        },
        "released",
        paper,
      );
    }
  }
  push("bert-base-uncased", bertBase, "released", "108M");
  push(
    "bert-large-uncased",
    {
      ...bertBase,
      hidden_size: 1024,
      num_hidden_layers: 24,
      num_attention_heads: 16,
      intermediate_size: 4096,
    },
    "released",
    "334M",
  );

  for (const E of [64, 128, 256, 768]) {
    for (const sharing of ["all-shared", "shared-attention", "shared-FFN", "not-shared"]) {
      const notShared = sharing === "not-shared";
      push(
        `albert-base-e${E}-${sharing.toLowerCase()}`,
        {
          ...albertBase,
          hidden_size: 768,
          intermediate_size: 3072,
          num_attention_heads: 12,
          num_hidden_layers: 12,
          hidden_act: "gelu_new",
          embedding_size: E,
          // Not-shared is Hugging Face's own layout: one group per layer.
          num_hidden_groups: notShared ? 12 : 1,
          cross_layer_sharing: notShared ? "all-shared" : sharing,
        },
        "ablation",
        ABLATION_PAPER_PARAMS[`${E}/${sharing}`],
      );
    }
  }

  for (const [variant, keys] of Object.entries(PAL_VARIANTS)) {
    push(
      `bert-base-${variant}`,
      { ...bertBase, ...keys, num_tasks: PAL_ZOO_TASKS },
      "pals",
    );
  }

  const tiny: Json = {
    vocab_size: 99,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 64,
    max_position_embeddings: 64,
    type_vocab_size: 2,
  };
  push("tiny-albert", { ...tiny, model_type: "albert", embedding_size: 16 }, "tiny");
  push("tiny-albert-groups", {
    ...tiny,
    model_type: "albert",
    embedding_size: 16,
    num_hidden_layers: 4,
    num_hidden_groups: 2,
    inner_group_num: 2,
  }, "tiny");
  push("tiny-bert", { ...tiny, model_type: "bert" }, "tiny");
  // Tiny encoders over the released vocabularies and 512 positions, for end-to-end task runs.
  const realVocab = { ...tiny, max_position_embeddings: 512 };
  push("tiny-albert-spm", {
    ...realVocab,
    model_type: "albert",
    vocab_size: 30000,
    embedding_size: 16,
  }, "tiny");
  push("tiny-bert-wordpiece", { ...realVocab, model_type: "bert", vocab_size: 30522 }, "tiny");
  push("tiny-bert-pals", {
    ...tiny,
    model_type: "bert",
    mult: true,
    pals: true,
    hidden_size_aug: 12,
    num_attention_heads_aug: 3,
    num_tasks: 2,
  }, "tiny");
  return list;
}

let cache: ZooEntry[] | undefined;

/** Every named model, in display order. */
export function zoo(): ZooEntry[] {
  return cache ??= entries();
}

/** Look up a named model; the error lists the known names. */
export function zooEntry(name: string): ZooEntry {
  const entry = zoo().find((e) => e.name === name);
  if (!entry) {
    throw new Error(
      `Unknown model "${name}": known models are ${zoo().map((e) => e.name).join(", ")}`,
    );
  }
  return entry;
}
