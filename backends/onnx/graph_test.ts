/**
 * The ONNX Runtime backend against the float64 reference forward pass, on the
 * tiny zoo configs, every head kind, every adapter kind and ALBERT's sharing
 * ablations, with a batch of three sequences of different lengths.
 */
import { configToJson, type ModelConfig, parseConfig } from "../../models/config.ts";
import { zooEntry } from "../../models/zoo.ts";
import type { Model } from "../../models/model.ts";
import {
  assertClose,
  randomBatch,
  referenceForward,
  unitScaleModel,
} from "../../tests/_reference_forward.ts";
import { buildOnnxModel, createOnnxBackend } from "./mod.ts";

/** float32 ONNX Runtime against float64 loops: 1e-4 max abs over a few small layers. */
const TOLERANCE = { atol: 1e-4 };
const LENGTHS = [7, 4, 1];
const SEQ_LEN = 7;

/** A tiny zoo config with its JSON keys overridden (head, adapter, sharing). */
function tiny(name: string, overrides: Record<string, unknown> = {}): ModelConfig {
  return parseConfig({ ...configToJson(zooEntry(name).config), ...overrides }, `${name}+test`);
}

async function checkAgainstReference(model: Model, label: string, tasks = [0]): Promise<void> {
  const backend = createOnnxBackend(model, { intraOpNumThreads: 1 });
  try {
    for (const task of tasks) {
      const input = randomBatch(model, { lengths: LENGTHS, seqLen: SEQ_LEN, task });
      const want = referenceForward(model, input);
      const got = await backend.run(input);
      const name = `${label} task ${task}`;
      assertClose(got.lastHiddenState, want.lastHiddenState, {
        ...TOLERANCE,
        label: `${name} lastHiddenState`,
      });
      assertClose(got.pooledOutput, want.pooledOutput, {
        ...TOLERANCE,
        label: `${name} pooledOutput`,
      });
      if (want.logits) {
        assertClose(got.logits, want.logits, { ...TOLERANCE, label: `${name} logits` });
      } else if (got.logits) throw new Error(`${name}: logits returned for a model without a head`);
    }
  } finally {
    backend.dispose();
  }
}

const HEADS: [string, Record<string, unknown>][] = [
  ["none", {}],
  ["sequence classification", { architectures: ["ForSequenceClassification"], num_labels: 3 }],
  ["regression", { architectures: ["ForSequenceClassification"], num_labels: 1 }],
  ["question answering", { architectures: ["ForQuestionAnswering"] }],
  ["multiple choice", { architectures: ["ForMultipleChoice"] }],
];

for (const name of ["tiny-albert", "tiny-albert-groups", "tiny-bert"]) {
  for (const [head, keys] of HEADS) {
    Deno.test(`onnx matches reference: ${name}, head ${head}`, async () => {
      const prefix = name.startsWith("tiny-albert") ? "Albert" : "Bert";
      const architectures = (keys.architectures as string[] | undefined)?.map((a) => prefix + a);
      const config = tiny(name, { ...keys, ...(architectures ? { architectures } : {}) });
      await checkAgainstReference(unitScaleModel(config, 11), name);
    });
  }
}

for (const sharing of ["shared-attention", "shared-FFN", "not-shared"]) {
  Deno.test(`onnx matches reference: tiny-albert ${sharing}`, async () => {
    const config = tiny("tiny-albert", { cross_layer_sharing: sharing, num_hidden_layers: 3 });
    await checkAgainstReference(unitScaleModel(config, 12), `tiny-albert ${sharing}`);
  });
}

Deno.test("onnx matches reference: tiny-bert-pals, tasks 0 and 1", async () => {
  const config = zooEntry("tiny-bert-pals").config;
  await checkAgainstReference(unitScaleModel(config, 13), "tiny-bert-pals", [0, 1]);
});

const ADAPTERS: [string, Record<string, unknown>][] = [
  ["pals top-half", { adapter_layers: "top-half", num_hidden_layers: 3 }],
  ["low-rank", { pals: false, hidden_size_aug: 10 }],
  ["top-projected", { mult: false, pals: false, top: true, num_top_layers: 2 }],
  ["low-rank with a sequence-classification head", {
    pals: false,
    architectures: ["BertForSequenceClassification"],
    num_labels: 3,
  }],
];

for (const [label, keys] of ADAPTERS) {
  Deno.test(`onnx matches reference: tiny-bert ${label}, tasks 0 and 1`, async () => {
    const config = tiny("tiny-bert-pals", { task_num_labels: [3, 2], ...keys });
    await checkAgainstReference(unitScaleModel(config, 14), `tiny-bert ${label}`, [0, 1]);
  });
}

Deno.test("onnx: exact GELU and gelu_new are both followed", async () => {
  for (const act of ["gelu", "gelu_new"]) {
    for (const name of ["tiny-albert", "tiny-bert"]) {
      const config = tiny(name, { hidden_act: act });
      await checkAgainstReference(unitScaleModel(config, 15), `${name} ${act}`);
    }
  }
});

Deno.test("onnx: requested outputs only, and task errors", async () => {
  const model = unitScaleModel(zooEntry("tiny-bert-pals").config, 16);
  const backend = createOnnxBackend(model);
  try {
    const input = randomBatch(model, { lengths: [3, 2], seqLen: 3, task: 1 });
    const output = await backend.run(input, ["logits"]);
    if (output.lastHiddenState || output.pooledOutput || output.logits?.length !== 4) {
      throw new Error(`Expected only logits [2, 2], got ${JSON.stringify(Object.keys(output))}`);
    }
    const bad = backend.run({ ...input, task: 2 });
    if (await bad.then(() => true, () => false)) throw new Error("Task 2 of 2 should be rejected");
  } finally {
    backend.dispose();
  }
  let threw = false;
  try {
    buildOnnxModel(model, { task: 5 });
  } catch {
    threw = true;
  }
  if (!threw) throw new Error("buildOnnxModel should reject task 5 of 2");
});
