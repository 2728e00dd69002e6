import assert from "node:assert/strict";
import {
  architectureName,
  ConfigError,
  configToJson,
  headSize,
  parseConfig,
  taskCount,
} from "./config.ts";
import { zoo, zooEntry } from "./zoo.ts";

const base = configToJson(zooEntry("tiny-albert").config);

function fails(json: unknown, pattern: RegExp) {
  assert.throws(() => parseConfig(json, "ckpt/config.json"), (error: Error) => {
    assert.ok(error instanceof ConfigError, `not a ConfigError: ${error}`);
    assert.match(error.message, /^Cannot read config "ckpt\/config\.json": /);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("every zoo config survives configToJson then parseConfig", () => {
  for (const entry of zoo()) {
    assert.deepEqual(parseConfig(configToJson(entry.config), entry.name), entry.config, entry.name);
  }
});

Deno.test("a Hugging Face ALBERT config parses with its defaults", () => {
  const config = parseConfig({
    architectures: ["AlbertForSequenceClassification"],
    model_type: "albert",
    vocab_size: 30000,
    hidden_size: 768,
    num_hidden_layers: 12,
    num_attention_heads: 12,
    intermediate_size: 3072,
    id2label: { 0: "neg", 1: "pos", 2: "neutral" },
  });
  assert.equal(config.hiddenAct, "gelu_new");
  assert.equal(config.embeddingSize, 128);
  assert.equal(config.layerNormEps, 1e-12);
  assert.deepEqual(config.head, { kind: "sequence-classification", numLabels: 3 });
  assert.equal(headSize(config), 64);
  assert.equal(architectureName(config), "AlbertForSequenceClassification");
});

Deno.test("original BERT-and-PALs configs without model_type are BERT", () => {
  const { model_type: _, ...json } = configToJson(zooEntry("bert-base-pals").config);
  const config = parseConfig(json);
  assert.equal(config.modelType, "bert");
  assert.equal(config.adapter?.kind, "pals");
  assert.equal(config.head.kind, "multi-task");
});

Deno.test("a config that is not an object is refused", () => {
  fails([1, 2], /expected a JSON object/);
  fails(null, /expected a JSON object/);
});

Deno.test("an unknown model_type is refused and names the supported ones", () => {
  fails(
    { ...base, model_type: "gpt2" },
    /unknown model_type "gpt2" \(supported: "albert", "bert"\)/,
  );
  const { model_type: _, ...noType } = base;
  fails(noType, /no model_type \(supported: "albert", "bert"\)/);
});

Deno.test("num_labels and id2label must agree when both are given", () => {
  const head = { architectures: ["AlbertForSequenceClassification"] };
  const id2label = { 0: "a", 1: "b", 2: "c" };
  fails(
    { ...base, ...head, num_labels: 2, id2label },
    /num_labels is 2 but id2label names 3 labels/,
  );
  assert.equal(
    (parseConfig({ ...base, ...head, id2label }).head as { numLabels: number }).numLabels,
    3,
    "id2label alone gives the count",
  );
});

Deno.test("bad head counts are refused", () => {
  fails({ ...base, num_attention_heads: 0 }, /must be positive/);
  fails(
    { ...base, num_attention_heads: 2.5 },
    /key "num_attention_heads" must be a non-negative integer, got 2.5/,
  );
  fails({ ...base, hidden_size: 30 }, /hidden_size 30 is not a multiple of num_attention_heads 4/);
});

Deno.test("missing or mistyped integer keys name the key", () => {
  const { hidden_size: _, ...noHidden } = base;
  fails(noHidden, /key "hidden_size" must be a non-negative integer, got undefined/);
  fails({ ...base, vocab_size: "99" }, /key "vocab_size" must be a non-negative integer, got "99"/);
  fails({ ...base, layer_norm_eps: "tiny" }, /key "layer_norm_eps" must be a number, got "tiny"/);
});

Deno.test("unsupported activations and architectures are refused", () => {
  fails({ ...base, hidden_act: "relu" }, /unsupported hidden_act "relu"/);
  fails(
    { ...base, architectures: ["AlbertForPreTraining"] },
    /unknown architecture "AlbertForPreTraining" for model_type "albert" \(known: AlbertModel,/,
  );
  fails({ ...base, architectures: ["BertModel"] }, /unknown architecture "BertModel"/);
  fails(
    { ...base, architectures: ["AlbertForSequenceClassification"], num_labels: 0 },
    /num_labels must be a positive integer, got 0/,
  );
});

Deno.test("ALBERT grouping and sharing must fit the layers", () => {
  fails(
    { ...base, num_hidden_groups: 3 },
    /num_hidden_layers 2 is not a multiple of num_hidden_groups 3/,
  );
  fails({ ...base, inner_group_num: 0 }, /inner_group_num must be at least 1/);
  fails({ ...base, cross_layer_sharing: "half" }, /unknown cross_layer_sharing "half"/);
  fails(
    { ...base, cross_layer_sharing: "shared-FFN", num_hidden_groups: 2 },
    /needs num_hidden_groups = inner_group_num = 1/,
  );
  const bert = configToJson(zooEntry("tiny-bert").config);
  fails(
    { ...bert, cross_layer_sharing: "shared-FFN" },
    /cross_layer_sharing applies to ALBERT models only/,
  );
});

Deno.test("PAL adapter keys are validated", () => {
  const bert = configToJson(zooEntry("tiny-bert").config);
  fails(
    { ...base, mult: true, pals: true },
    /PAL adapters \(mult\/pals\/top\) apply to BERT models only/,
  );
  fails(
    { ...bert, mult: true, pals: true, hidden_size_aug: 10, num_attention_heads_aug: 3 },
    /hidden_size_aug 10 is not a multiple of num_attention_heads_aug 3/,
  );
  fails(
    { ...bert, mult: true, hidden_size_aug: 0 },
    /key "hidden_size_aug" must be a positive integer, got 0/,
  );
  fails(
    { ...bert, mult: true, houlsby: true },
    /houlsby, lhuc and bert_lay_top variants are not supported/,
  );
  fails({ ...bert, mult: true, adapter_layers: "bottom" }, /unknown adapter_layers "bottom"/);
  fails(
    {
      ...bert,
      architectures: ["BertForMultiTask"],
      mult: true,
      num_tasks: 2,
      task_num_labels: [2],
    },
    /task_num_labels must list 2 positive integers/,
  );
  fails({ ...bert, architectures: ["BertForMultiTask"] }, /needs task_num_labels/);
});

Deno.test("a multi-task head without adapters is the shared-backbone baseline", () => {
  const bert = configToJson(zooEntry("tiny-bert").config);
  const config = parseConfig(
    { ...bert, architectures: ["BertForMultiTask"], task_num_labels: [2, 1, 3] },
    "shared.json",
  );
  assert.equal(config.adapter, undefined);
  assert.deepEqual(config.head, { kind: "multi-task", taskNumLabels: [2, 1, 3] });
  assert.equal(taskCount(config), 3);
  assert.deepEqual(parseConfig(configToJson(config), "again.json"), config);
});
