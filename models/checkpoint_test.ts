import assert from "node:assert/strict";
import {
  CheckpointError,
  loadCheckpoint,
  saveCheckpoint,
  WEIGHTS_FILE,
  WEIGHTS_INDEX_FILE,
} from "./checkpoint.ts";
import { configToJson, type HeadConfig, type ModelConfig } from "./config.ts";
import { randomModel } from "./init.ts";
import type { Model } from "./model.ts";
import { resolveModel } from "./resolve.ts";
import { encodeSafetensors, type SafetensorsTensor } from "./safetensors.ts";
import { zoo, zooEntry } from "./zoo.ts";

async function withTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "checkpoint_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertSameModel(actual: Model, expected: Model) {
  assert.deepEqual(actual.config, expected.config);
  assert.deepEqual([...actual.weights.keys()].sort(), [...expected.weights.keys()].sort());
  for (const [name, data] of expected.weights) {
    const got = actual.weights.get(name)!;
    // Compare bytes, so NaN payloads and -0 would count too.
    assert.deepEqual(
      new Uint8Array(got.buffer, got.byteOffset, got.byteLength),
      new Uint8Array(data.buffer),
      name,
    );
  }
}

/** Every tiny zoo config with each head it can carry. */
function tinyVariants(): [string, ModelConfig][] {
  const out: [string, ModelConfig][] = [];
  for (const entry of zoo().filter((e) => e.family === "tiny")) {
    const heads: HeadConfig[] = entry.config.adapter
      ? [{ kind: "multi-task", taskNumLabels: [3, 1] }]
      : [
        { kind: "none" },
        { kind: "sequence-classification", numLabels: 3 },
        { kind: "question-answering" },
        { kind: "multiple-choice" },
      ];
    for (const head of heads) out.push([`${entry.name}/${head.kind}`, { ...entry.config, head }]);
  }
  return out;
}

/** Write a checkpoint directory by hand: config JSON and tensors. */
async function writeRaw(dir: string, config: ModelConfig, tensors: [string, SafetensorsTensor][]) {
  await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(configToJson(config)));
  await Deno.writeFile(`${dir}/${WEIGHTS_FILE}`, encodeSafetensors(tensors));
}

function tensorsOf(model: Model): [string, SafetensorsTensor][] {
  return model.layout.tensors.map((
    t,
  ) => [t.name, { shape: t.shape, data: model.weights.get(t.name)! }]);
}

async function loadFails(dir: string, ...patterns: RegExp[]) {
  await assert.rejects(loadCheckpoint(dir), (error: Error) => {
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const tiny = zooEntry("tiny-albert").config;
const tinyClassifier: ModelConfig = {
  ...tiny,
  head: { kind: "sequence-classification", numLabels: 2 },
};

Deno.test("save then load gives identical weights for every tiny config and head", async () => {
  const variants = tinyVariants();
  assert.ok(variants.some(([name]) => name.endsWith("/multi-task")));
  for (const [name, config] of variants) {
    await withTempDir(async (dir) => {
      const model = randomModel(config, 7);
      await saveCheckpoint(`${dir}/nested/${name.replace("/", "-")}`, model);
      const loaded = await loadCheckpoint(`${dir}/nested/${name.replace("/", "-")}`);
      assertSameModel(loaded, model);
    });
  }
});

Deno.test("saving leaves no temporary files and writes Hugging Face metadata", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, randomModel(tiny, 1));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "config.json",
      WEIGHTS_FILE,
    ]);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    assert.deepEqual(json.architectures, ["AlbertModel"]);
  });
});

Deno.test("sharded save writes an index and loads back; stale single files are removed", async () => {
  await withTempDir(async (dir) => {
    const model = randomModel(zooEntry("tiny-bert-pals").config, 3);
    await saveCheckpoint(dir, model); // a single file first, which the sharded save replaces
    await saveCheckpoint(dir, model, { maxShardBytes: 20_000 });
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.ok(!names.includes(WEIGHTS_FILE));
    const index = JSON.parse(await Deno.readTextFile(`${dir}/${WEIGHTS_INDEX_FILE}`));
    const shards = [...new Set(Object.values(index.weight_map))].sort();
    assert.ok(shards.length > 2, `expected several shards, got ${shards.length}`);
    assert.equal(shards[0], `model-00001-of-${String(shards.length).padStart(5, "0")}.safetensors`);
    assert.deepEqual(names, ["config.json", ...shards, WEIGHTS_INDEX_FILE].sort());
    assertSameModel(await loadCheckpoint(dir), model);
  });
});

Deno.test("F16 checkpoints load within half precision", async () => {
  await withTempDir(async (dir) => {
    const model = randomModel(tiny, 5);
    await saveCheckpoint(dir, model, { dtype: "F16" });
    const loaded = await loadCheckpoint(dir);
    for (const [name, data] of model.weights) {
      const got = loaded.weights.get(name)!;
      data.forEach((v, i) =>
        assert.ok(Math.abs(got[i] - v) <= Math.abs(v) * 2 ** -11 + 2 ** -25, name)
      );
    }
  });
});

Deno.test("known non-model tensors are ignored and a missing prefix is added", async () => {
  await withTempDir(async (dir) => {
    const model = randomModel(tiny, 2);
    const extras: [string, SafetensorsTensor][] = [
      ["embeddings.position_ids", { shape: [1, 64], data: new Float32Array(64) }],
      ["predictions.bias", { shape: [99], data: new Float32Array(99) }],
      ["sop_classifier.classifier.weight", { shape: [2, 32], data: new Float32Array(64) }],
      ["cls.predictions.bias", { shape: [99], data: new Float32Array(99) }],
    ];
    // Hugging Face AlbertModel saved alone: no "albert." prefix on any name.
    const bare = tensorsOf(model).map((
      [n, t],
    ): [string, SafetensorsTensor] => [n.replace(/^albert\./, ""), t]);
    await writeRaw(dir, tiny, [...bare, ...extras]);
    assertSameModel(await loadCheckpoint(dir), model);
  });
});

Deno.test("a missing tensor names the tensor and the file", async () => {
  await withTempDir(async (dir) => {
    const tensors = tensorsOf(randomModel(tinyClassifier, 1)).filter(([n]) =>
      n !== "albert.pooler.weight"
    );
    await writeRaw(dir, tinyClassifier, tensors);
    await loadFails(
      dir,
      /^Cannot load checkpoint "/,
      /tensor "albert\.pooler\.weight" is missing/,
      new RegExp(escape(`"${dir}/${WEIGHTS_FILE}"`)),
    );
  });
});

Deno.test("an unexpected tensor names the tensor and the file", async () => {
  await withTempDir(async (dir) => {
    const extra: [string, SafetensorsTensor] = ["albert.encoder.extra.weight", {
      shape: [2],
      data: new Float32Array(2),
    }];
    await writeRaw(dir, tinyClassifier, [...tensorsOf(randomModel(tinyClassifier, 1)), extra]);
    await loadFails(
      dir,
      /unexpected tensor "albert\.encoder\.extra\.weight"/,
      new RegExp(escape(`"${dir}/${WEIGHTS_FILE}"`)),
    );
  });
});

Deno.test("a mis-shaped tensor names the tensor, both shapes and the file", async () => {
  await withTempDir(async (dir) => {
    const tensors = tensorsOf(randomModel(tinyClassifier, 1)).map((
      [n, t],
    ): [string, SafetensorsTensor] =>
      n === "classifier.weight" ? [n, { shape: [1, 64], data: t.data }] : [n, t]
    );
    await writeRaw(dir, tinyClassifier, tensors);
    await loadFails(
      dir,
      new RegExp(
        escape(
          `Cannot load checkpoint "${dir}": tensor "classifier.weight" has shape [1, 64], expected [2, 32] in "${dir}/${WEIGHTS_FILE}"`,
        ),
      ),
    );
  });
});

Deno.test("a NaN or infinite weight names the tensor, the value, its index and the file", async () => {
  for (const value of [NaN, -Infinity]) {
    await withTempDir(async (dir) => {
      const tensors = tensorsOf(randomModel(tinyClassifier, 1)).map((
        [n, t],
      ): [string, SafetensorsTensor] => {
        if (n !== "classifier.bias") return [n, t];
        const data = Float32Array.from(t.data);
        data[1] = value;
        return [n, { shape: t.shape, data }];
      });
      await writeRaw(dir, tinyClassifier, tensors);
      await loadFails(
        dir,
        new RegExp(
          escape(
            `Cannot load checkpoint "${dir}": tensor "classifier.bias" in "${dir}/${WEIGHTS_FILE}" holds ${value} at index 1`,
          ),
        ),
      );
    });
  }
});

Deno.test("a truncated weights file names the tensor and the file", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, randomModel(tinyClassifier, 1));
    const bytes = await Deno.readFile(`${dir}/${WEIGHTS_FILE}`);
    // classifier.bias (2 floats) is the last tensor: cut its final 4 bytes.
    await Deno.writeFile(`${dir}/${WEIGHTS_FILE}`, bytes.subarray(0, bytes.length - 4));
    const n = bytes.length;
    await loadFails(
      dir,
      new RegExp(
        escape(
          `Cannot load checkpoint "${dir}/${WEIGHTS_FILE}": tensor "classifier.bias" is truncated ` +
            `(needs bytes ${n - 8}..${n}, file has ${n - 4})`,
        ),
      ),
    );
  });
});

Deno.test("a corrupt header names the file", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, randomModel(tiny, 1));
    const bytes = await Deno.readFile(`${dir}/${WEIGHTS_FILE}`);
    bytes[8] = "#".charCodeAt(0); // the header's opening brace
    await Deno.writeFile(`${dir}/${WEIGHTS_FILE}`, bytes);
    await assert.rejects(loadCheckpoint(dir), CheckpointError);
    await loadFails(dir, new RegExp(escape(`"${dir}/${WEIGHTS_FILE}": header is not valid JSON`)));
  });
});

Deno.test("an unknown model_type names config.json", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, randomModel(tiny, 1));
    await Deno.writeTextFile(
      `${dir}/config.json`,
      JSON.stringify({ ...configToJson(tiny), model_type: "gpt2" }),
    );
    await loadFails(dir, new RegExp(escape(`"${dir}/config.json": unknown model_type "gpt2"`)));
  });
});

Deno.test("missing directory, config.json and weights list what was expected", async () => {
  await withTempDir(async (dir) => {
    await loadFails(
      `${dir}/absent`,
      /directory not found/,
      /config\.json and model\.safetensors or model\.safetensors\.index\.json/,
    );
    await loadFails(dir, new RegExp(escape(`missing "${dir}/config.json"`)));
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(configToJson(tiny)));
    await loadFails(
      dir,
      new RegExp(
        escape(
          `missing weights: expected "${dir}/${WEIGHTS_FILE}" or "${dir}/${WEIGHTS_INDEX_FILE}"`,
        ),
      ),
    );
  });
});

Deno.test("a sharded index naming a missing shard or misplaced tensor is refused", async () => {
  await withTempDir(async (dir) => {
    const model = randomModel(tiny, 1);
    await saveCheckpoint(dir, model, { maxShardBytes: 10_000 });
    const indexPath = `${dir}/${WEIGHTS_INDEX_FILE}`;
    const index = JSON.parse(await Deno.readTextFile(indexPath));
    const shards = [...new Set<string>(Object.values(index.weight_map))];
    const names = (shard: string) =>
      Object.keys(index.weight_map).filter((n) => index.weight_map[n] === shard);
    // Move one tensor of a shard that keeps others, so that shard is still read.
    const first = shards.find((shard) => names(shard).length > 1)!;
    const second = shards.find((shard) => shard !== first)!;
    const moved = names(first)[0];
    index.weight_map[moved] = second;
    await Deno.writeTextFile(indexPath, JSON.stringify(index));
    await loadFails(
      dir,
      new RegExp(escape(`tensor "${moved}" in "${dir}/${first}" is not mapped to that shard`)),
    );
    index.weight_map[moved] = first;
    await Deno.writeTextFile(indexPath, JSON.stringify(index));
    await Deno.remove(`${dir}/${second}`);
    await loadFails(
      dir,
      new RegExp(escape(`shard "${dir}/${second}" listed in "${indexPath}" is missing`)),
    );
  });
});

Deno.test("resolveModel takes zoo names, checkpoint directories and config files", async () => {
  await withTempDir(async (dir) => {
    const fromZoo = await resolveModel("tiny-bert", { seed: 4 });
    assertSameModel(fromZoo, randomModel(zooEntry("tiny-bert").config, 4));
    await saveCheckpoint(`${dir}/ckpt`, fromZoo);
    assertSameModel(await resolveModel(`${dir}/ckpt`), fromZoo);
    const fromConfig = await resolveModel(`${dir}/ckpt/config.json`, { seed: 4 });
    assertSameModel(fromConfig, fromZoo);
    await assert.rejects(
      resolveModel("albert-huge-v9"),
      /Cannot resolve model "albert-huge-v9": it is neither a known model nor a checkpoint directory; known models include albert-base-v2.*deno task harness models/,
    );
    await assert.rejects(
      resolveModel(`${dir}/ckpt/${WEIGHTS_FILE}`),
      /is a file but not a config \.json/,
    );
  });
});
