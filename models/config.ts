/**
 * Model configuration: the Hugging Face `config.json` keys in camelCase, plus
 * the few keys this harness adds (cross-layer sharing modes of the ALBERT
 * ablations, BERT-and-PALs adapters, and the task head).
 *
 * `parseConfig` turns a `config.json` object into a validated `ModelConfig`;
 * `configToJson` writes it back in the Hugging Face layout.
 */

/** Encoder families the harness can run. */
export type ModelType = "albert" | "bert";

/** `gelu` is the exact erf form (BERT, PALs); `gelu_new` the tanh approximation (ALBERT). */
export type HiddenAct = "gelu" | "gelu_new";

/** ALBERT Table 4's cross-layer parameter sharing modes. */
export type CrossLayerSharing = "all-shared" | "shared-attention" | "shared-FFN" | "not-shared";

/** BERT-and-PALs adapter kinds (Stickland & Murray 2019). */
export type AdapterKind = "pals" | "low-rank" | "top-projected";

/** Which layers carry a per-layer adapter (PALs, low-rank); the paper also tries the top half. */
export type AdapterLayers = "all" | "top-half";

/** Multi-task adapter settings; names follow the original code's config keys. */
export interface AdapterConfig {
  /** Adapter variant, from the original keys: `mult` + `pals`, `mult` alone, or `top`. */
  kind: AdapterKind;
  /** Size d_s of the small space (`hidden_size_aug`): 204 for PALs, 100 for low-rank. */
  hiddenSizeAug: number;
  /** Number of tasks, each with its own adapter weights and classifier. */
  numTasks: number;
  /** Heads of the attention in the small space (6 in the original PALs, 12 for top-projected). */
  numAttentionHeadsAug: number;
  /** Layers with a per-layer adapter (ignored by `top-projected`). */
  layers: AdapterLayers;
  /** Number of attention layers stacked on top (`top-projected` only; 6 in the original). */
  numTopLayers: number;
}

/** The task head on top of the encoder, as the Hugging Face `architectures` name it. */
export type HeadConfig =
  | { kind: "none" }
  | { kind: "sequence-classification"; numLabels: number }
  | { kind: "question-answering" }
  | { kind: "multiple-choice" }
  | {
    kind: "multi-task";
    taskNumLabels: number[];
    /** The task each head was trained on (`task_names`), when the checkpoint records them. */
    taskNames?: string[];
  };

/** A validated model configuration. */
export interface ModelConfig {
  /** Encoder family (`model_type`); BERT when absent from an original PALs config. */
  modelType: ModelType;
  /** Token vocabulary size V (`vocab_size`). */
  vocabSize: number;
  /** ALBERT's factorised embedding size E; equals `hiddenSize` for BERT. */
  embeddingSize: number;
  /** Hidden size H (`hidden_size`); a multiple of `numAttentionHeads`. */
  hiddenSize: number;
  /** Number of encoder layers L (`num_hidden_layers`). */
  numHiddenLayers: number;
  /** Attention heads A per layer (`num_attention_heads`). */
  numAttentionHeads: number;
  /** Feed-forward inner size (`intermediate_size`), 4H in the released models. */
  intermediateSize: number;
  /** Feed-forward activation (`hidden_act`); defaults to `gelu_new` for ALBERT, `gelu` for BERT. */
  hiddenAct: HiddenAct;
  /** Longest sequence the position embeddings cover (`max_position_embeddings`, default 512). */
  maxPositionEmbeddings: number;
  /** Number of token types / segments (`type_vocab_size`, default 2). */
  typeVocabSize: number;
  /** LayerNorm epsilon (`layer_norm_eps`, default 1e-12). */
  layerNormEps: number;
  /** Std of the normal weight init (`initializer_range`, default 0.02). */
  initializerRange: number;
  /** Dropout on embeddings and sublayer outputs (`hidden_dropout_prob`; ALBERT 0, BERT 0.1). */
  hiddenDropoutProb: number;
  /** Attention-probability dropout (`attention_probs_dropout_prob`; ALBERT 0, BERT 0.1). */
  attentionProbsDropoutProb: number;
  /** Dropout on the pooled output before a classifier (ALBERT `classifier_dropout_prob`). */
  classifierDropoutProb: number;
  /** ALBERT: number of distinct layer groups (1 in the released models). */
  numHiddenGroups: number;
  /** ALBERT: layers inside each group (1 in the released models). */
  innerGroupNum: number;
  /** ALBERT ablations; `all-shared` means Hugging Face's plain grouping. */
  crossLayerSharing: CrossLayerSharing;
  /** Id of the padding token (`pad_token_id`, default 0). */
  padTokenId: number;
  /** BERT-and-PALs adapters, when the config carries `mult` or `top`; absent otherwise. */
  adapter?: AdapterConfig;
  /** Task head, from `architectures[0]` (plus `num_labels` / `task_num_labels`). */
  head: HeadConfig;
}

/** Raised for a config that cannot describe a model; the message names the file and key. */
export class ConfigError extends Error {
  /** Always `"ConfigError"`. */
  override name = "ConfigError";
}

const ARCHITECTURE_HEADS: Record<string, HeadConfig["kind"]> = {
  Model: "none",
  ForSequenceClassification: "sequence-classification",
  ForQuestionAnswering: "question-answering",
  ForMultipleChoice: "multiple-choice",
  ForMultiTask: "multi-task",
};

const SHARING_MODES: CrossLayerSharing[] = [
  "all-shared",
  "shared-attention",
  "shared-FFN",
  "not-shared",
];

/** A parsed JSON object, as `config.json` holds. */
export type Json = Record<string, unknown>;

/** Parse a Hugging Face `config.json` object; `source` names the file in error messages. */
export function parseConfig(json: unknown, source = "config.json"): ModelConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new ConfigError(`Cannot read config "${source}": expected a JSON object`);
  }
  const raw = json as Json;
  const fail = (message: string): never => {
    throw new ConfigError(`Cannot read config "${source}": ${message}`);
  };
  const int = (key: string, fallback?: number): number => {
    const value = raw[key] ?? fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      return fail(`key "${key}" must be a non-negative integer, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const num = (key: string, fallback: number): number => {
    const value = raw[key] ?? fallback;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return fail(`key "${key}" must be a number, got ${JSON.stringify(value)}`);
    }
    return value;
  };

  // The original BERT-and-PALs configs carry no model_type; they are BERT.
  const modelType = raw.model_type ?? (raw.hidden_size_aug !== undefined ? "bert" : undefined);
  if (modelType === undefined) {
    return fail(`no model_type (supported: "albert", "bert")`);
  }
  if (modelType !== "albert" && modelType !== "bert") {
    return fail(
      `unknown model_type ${JSON.stringify(modelType)} (supported: "albert", "bert")`,
    );
  }
  const hiddenSize = int("hidden_size");
  const numHiddenLayers = int("num_hidden_layers");
  const numAttentionHeads = int("num_attention_heads");
  const hiddenActRaw = raw.hidden_act ?? (modelType === "albert" ? "gelu_new" : "gelu");
  if (hiddenActRaw !== "gelu" && hiddenActRaw !== "gelu_new") {
    return fail(
      `unsupported hidden_act ${JSON.stringify(hiddenActRaw)} (use "gelu" or "gelu_new")`,
    );
  }
  const config: ModelConfig = {
    modelType,
    vocabSize: int("vocab_size"),
    embeddingSize: modelType === "albert" ? int("embedding_size", 128) : hiddenSize,
    hiddenSize,
    numHiddenLayers,
    numAttentionHeads,
    intermediateSize: int("intermediate_size"),
    hiddenAct: hiddenActRaw,
    maxPositionEmbeddings: int("max_position_embeddings", 512),
    typeVocabSize: int("type_vocab_size", 2),
    layerNormEps: num("layer_norm_eps", 1e-12),
    initializerRange: num("initializer_range", 0.02),
    hiddenDropoutProb: num("hidden_dropout_prob", modelType === "albert" ? 0 : 0.1),
    attentionProbsDropoutProb: num(
      "attention_probs_dropout_prob",
      modelType === "albert" ? 0 : 0.1,
    ),
    // Hugging Face: ALBERT's own key (default 0.1); BERT's classifier_dropout, else the hidden rate.
    classifierDropoutProb: modelType === "albert"
      ? num("classifier_dropout_prob", 0.1)
      : raw.classifier_dropout === null || raw.classifier_dropout === undefined
      ? num("hidden_dropout_prob", 0.1)
      : num("classifier_dropout", 0.1),
    numHiddenGroups: modelType === "albert" ? int("num_hidden_groups", 1) : numHiddenLayers,
    innerGroupNum: modelType === "albert" ? int("inner_group_num", 1) : 1,
    crossLayerSharing: "all-shared",
    padTokenId: int("pad_token_id", 0),
    head: { kind: "none" },
  };

  if (hiddenSize === 0 || numHiddenLayers === 0 || numAttentionHeads === 0) {
    fail("hidden_size, num_hidden_layers and num_attention_heads must be positive");
  }
  if (hiddenSize % numAttentionHeads !== 0) {
    fail(`hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numAttentionHeads}`);
  }
  if (config.numHiddenGroups < 1 || numHiddenLayers % config.numHiddenGroups !== 0) {
    fail(
      `num_hidden_layers ${numHiddenLayers} is not a multiple of num_hidden_groups ${config.numHiddenGroups}`,
    );
  }
  if (config.innerGroupNum < 1) fail("inner_group_num must be at least 1");

  const sharing = raw.cross_layer_sharing ?? "all-shared";
  if (!SHARING_MODES.includes(sharing as CrossLayerSharing)) {
    fail(
      `unknown cross_layer_sharing ${JSON.stringify(sharing)} (one of ${SHARING_MODES.join(", ")})`,
    );
  }
  config.crossLayerSharing = sharing as CrossLayerSharing;
  if (config.crossLayerSharing !== "all-shared") {
    if (modelType !== "albert") fail("cross_layer_sharing applies to ALBERT models only");
    if (config.numHiddenGroups !== 1 || config.innerGroupNum !== 1) {
      fail(
        "cross_layer_sharing other than all-shared needs num_hidden_groups = inner_group_num = 1",
      );
    }
  }

  config.adapter = parseAdapter(raw, modelType, fail);
  config.head = parseHead(raw, modelType, config.adapter, fail);
  return config;
}

function parseAdapter(
  raw: Json,
  modelType: ModelType,
  fail: (message: string) => never,
): AdapterConfig | undefined {
  // Original BERT-and-PALs keys: `mult` + `pals` = PALs, `mult` alone = low-rank, `top` = top-projected.
  const kind: AdapterKind | undefined = raw.top
    ? "top-projected"
    : raw.mult
    ? (raw.pals ? "pals" : "low-rank")
    : undefined;
  if (kind === undefined) return undefined;
  if (modelType !== "bert") fail("PAL adapters (mult/pals/top) apply to BERT models only");
  if (raw.houlsby || raw.lhuc || raw.bert_lay_top) {
    fail("the houlsby, lhuc and bert_lay_top variants are not supported");
  }
  const positive = (key: string, fallback: number): number => {
    const value = raw[key] ?? fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      fail(`key "${key}" must be a positive integer, got ${JSON.stringify(value)}`);
    }
    return value as number;
  };
  const hiddenSizeAug = positive("hidden_size_aug", 204);
  const numAttentionHeadsAug = positive(
    "num_attention_heads_aug",
    kind === "top-projected" ? 12 : 6,
  );
  if (kind !== "low-rank" && hiddenSizeAug % numAttentionHeadsAug !== 0) {
    fail(
      `hidden_size_aug ${hiddenSizeAug} is not a multiple of num_attention_heads_aug ${numAttentionHeadsAug}`,
    );
  }
  const layers = raw.adapter_layers ?? "all";
  if (layers !== "all" && layers !== "top-half") {
    fail(`unknown adapter_layers ${JSON.stringify(layers)} (use "all" or "top-half")`);
  }
  return {
    kind,
    hiddenSizeAug,
    numTasks: positive("num_tasks", 1),
    numAttentionHeadsAug,
    layers: layers as AdapterLayers,
    numTopLayers: positive("num_top_layers", 6),
  };
}

function parseHead(
  raw: Json,
  modelType: ModelType,
  adapter: AdapterConfig | undefined,
  fail: (message: string) => never,
): HeadConfig {
  const architectures = raw.architectures;
  const prefix = modelType === "albert" ? "Albert" : "Bert";
  let kind: HeadConfig["kind"] = adapter ? "multi-task" : "none";
  if (Array.isArray(architectures) && architectures.length > 0) {
    const name = String(architectures[0]);
    const suffix = name.startsWith(prefix) ? name.slice(prefix.length) : undefined;
    const known = suffix === undefined ? undefined : ARCHITECTURE_HEADS[suffix];
    if (known === undefined) {
      fail(
        `unknown architecture "${name}" for model_type "${modelType}" (known: ${
          Object.keys(ARCHITECTURE_HEADS).map((s) => prefix + s).join(", ")
        })`,
      );
    }
    kind = known!;
  }
  switch (kind) {
    case "none":
    case "question-answering":
    case "multiple-choice":
      return { kind };
    case "sequence-classification": {
      const id2label = raw.id2label;
      const numLabels = raw.num_labels ??
        (id2label && typeof id2label === "object" ? Object.keys(id2label).length : 2);
      if (typeof numLabels !== "number" || !Number.isInteger(numLabels) || numLabels < 1) {
        fail(`num_labels must be a positive integer, got ${JSON.stringify(numLabels)}`);
      }
      // Both given must agree: which one the classifier has would otherwise be a guess.
      const named = id2label && typeof id2label === "object" ? Object.keys(id2label).length : 0;
      if (raw.num_labels !== undefined && named > 0 && named !== numLabels) {
        fail(`num_labels is ${numLabels} but id2label names ${named} labels`);
      }
      return { kind, numLabels: numLabels as number };
    }
    case "multi-task": {
      // Without adapters this is the shared-backbone baseline: one encoder, a classifier per task.
      const tasks = adapter?.numTasks ??
        (Array.isArray(raw.task_num_labels) ? raw.task_num_labels.length : raw.num_tasks);
      if (!Number.isInteger(tasks) || (tasks as number) < 1) {
        fail(`architecture ${prefix}ForMultiTask needs task_num_labels (or PAL adapter keys)`);
      }
      const labels = raw.task_num_labels ?? Array(tasks as number).fill(2);
      if (
        !Array.isArray(labels) || labels.length !== tasks ||
        !labels.every((n) => Number.isInteger(n) && n >= 1)
      ) {
        fail(`task_num_labels must list ${tasks} positive integers (one per task)`);
      }
      const names = raw.task_names;
      if (names === undefined) return { kind, taskNumLabels: labels as number[] };
      if (
        !Array.isArray(names) || names.length !== tasks ||
        !names.every((n) => typeof n === "string" && n !== "")
      ) {
        fail(`task_names must list ${tasks} task names (one per task)`);
      }
      return { kind, taskNumLabels: labels as number[], taskNames: names as string[] };
    }
  }
}

/** Hugging Face `architectures` entry for a config. */
export function architectureName(config: ModelConfig): string {
  const prefix = config.modelType === "albert" ? "Albert" : "Bert";
  const suffix = Object.entries(ARCHITECTURE_HEADS).find(([, k]) => k === config.head.kind)![0];
  return prefix + suffix;
}

/** Write a config back as a Hugging Face `config.json` object (snake_case keys). */
export function configToJson(config: ModelConfig): Json {
  const json: Json = {
    architectures: [architectureName(config)],
    model_type: config.modelType,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numHiddenLayers,
    num_attention_heads: config.numAttentionHeads,
    intermediate_size: config.intermediateSize,
    hidden_act: config.hiddenAct,
    max_position_embeddings: config.maxPositionEmbeddings,
    type_vocab_size: config.typeVocabSize,
    layer_norm_eps: config.layerNormEps,
    initializer_range: config.initializerRange,
    hidden_dropout_prob: config.hiddenDropoutProb,
    attention_probs_dropout_prob: config.attentionProbsDropoutProb,
    [config.modelType === "albert" ? "classifier_dropout_prob" : "classifier_dropout"]:
      config.classifierDropoutProb,
    pad_token_id: config.padTokenId,
  };
  if (config.modelType === "albert") {
    json.embedding_size = config.embeddingSize;
    json.num_hidden_groups = config.numHiddenGroups;
    json.inner_group_num = config.innerGroupNum;
    if (config.crossLayerSharing !== "all-shared") {
      json.cross_layer_sharing = config.crossLayerSharing;
    }
  }
  const adapter = config.adapter;
  if (adapter) {
    if (adapter.kind === "top-projected") json.top = true;
    else json.mult = true;
    if (adapter.kind === "pals") json.pals = true;
    json.hidden_size_aug = adapter.hiddenSizeAug;
    json.num_tasks = adapter.numTasks;
    json.num_attention_heads_aug = adapter.numAttentionHeadsAug;
    if (adapter.layers !== "all") json.adapter_layers = adapter.layers;
    if (adapter.kind === "top-projected") json.num_top_layers = adapter.numTopLayers;
  }
  const head = config.head;
  if (head.kind === "sequence-classification") json.num_labels = head.numLabels;
  if (head.kind === "multi-task") {
    json.task_num_labels = head.taskNumLabels;
    if (head.taskNames) json.task_names = head.taskNames;
  }
  return json;
}

/** Attention head size `hiddenSize / numAttentionHeads`. */
export function headSize(config: ModelConfig): number {
  return config.hiddenSize / config.numAttentionHeads;
}

/** Number of tasks a model can run: its adapters' or task heads' count, else 1. */
export function taskCount(config: ModelConfig): number {
  const head = config.head;
  return config.adapter?.numTasks ?? (head.kind === "multi-task" ? head.taskNumLabels.length : 1);
}
