/** Batching, resuming and head fitting of `eval`, checked by hand-built cases. */
import { deepStrictEqual, ok, rejects, strictEqual, throws } from "node:assert/strict";
import { join } from "node:path";
import type { Backend, EncoderInput } from "../backends/backend.ts";
import { configToJson, parseConfig } from "../models/config.ts";
import { randomModel } from "../models/init.ts";
import { zooEntry } from "../models/zoo.ts";
import type { Encoding } from "../tokenizers/tokenizer.ts";
import { padBatch, planBatches } from "./batches.ts";
import { fitHead } from "./head.ts";
import { ResumeStore } from "./resume.ts";
import { runRows } from "./runner.ts";
import { errorLines, stderrLines } from "../tests/_console.ts";

const row = (ids: number[]): Encoding => ({
  inputIds: ids,
  tokenTypeIds: ids.map(() => 0),
  attentionMask: ids.map(() => 1),
});

Deno.test("planBatches groups rows longest first and keeps groups together", () => {
  const rows = [row([1]), row([1, 2, 3]), row([1, 2]), row([1, 2, 3, 4]), row([5])];
  deepStrictEqual(planBatches(rows, 2).map((p) => p.rows), [[3, 1], [2, 0], [4]]);
  // Groups of two: (0,1) longest 3, (2,3) longest 4; a batch of 3 rows holds one group.
  const grouped = planBatches(rows.slice(0, 4), 3, 2).map((p) => p.rows);
  deepStrictEqual(grouped, [[2, 3], [0, 1]]);
  throws(() => planBatches(rows, 0), /batch size/);
  throws(() => planBatches(rows, 2, 2), /groups of 2/);
});

Deno.test("padBatch pads ids with the pad id and masks padding", () => {
  const input = padBatch([row([7, 8, 9]), row([4])], 0, 1);
  strictEqual(input.seqLen, 3);
  deepStrictEqual(Array.from(input.inputIds), [7, 8, 9, 4, 0, 0]);
  deepStrictEqual(Array.from(input.attentionMask), [1, 1, 1, 1, 0, 0]);
  strictEqual(input.task, 1);
});

/** A backend giving `width` logits per row (each the row's id sum), counting its calls and rows. */
function wideBackend(width: number): Backend & { calls: number[] } {
  return {
    calls: [],
    info: { name: "onnxruntime", device: "test", features: [] },
    run(input: EncoderInput) {
      this.calls.push(input.batchSize);
      const logits = new Float32Array(input.batchSize * width);
      for (let b = 0; b < input.batchSize; b++) {
        let sum = 0;
        for (let t = 0; t < input.seqLen; t++) sum += input.inputIds[b * input.seqLen + t];
        logits.fill(sum, b * width, (b + 1) * width);
      }
      return Promise.resolve({ logits });
    },
    dispose() {},
  };
}

Deno.test("runRows returns logits in input order and resumes finished batches", async () => {
  const dir = await Deno.makeTempDir();
  const rows = [row([1]), row([2, 3]), row([4, 5, 6])];
  const options = {
    batchSize: 2,
    head: { kind: "multiple-choice" as const },
    padId: 0,
    label: "t",
  };
  const first = await ResumeStore.open(join(dir, "r.jsonl"), "key");
  const backend = wideBackend(1);
  const out = await runRows(backend, rows, { ...options, silent: true, resume: first });
  deepStrictEqual(out.map((l) => l[0]), [1, 5, 15]);
  strictEqual(backend.calls.length, 2);
  // Reopened with the same key: nothing is recomputed.
  const again = await ResumeStore.open(join(dir, "r.jsonl"), "key");
  const idle = wideBackend(1);
  deepStrictEqual(
    (await runRows(idle, rows, { ...options, silent: true, resume: again })).map((l) => l[0]),
    [1, 5, 15],
  );
  strictEqual(idle.calls.length, 0);
  // Its progress line counts the resumed rows as done, but not into the rate.
  const lines = await stderrLines(() =>
    runRows(wideBackend(1), rows, {
      ...options,
      resume: again,
    })
  );
  deepStrictEqual(lines, ["t: 3/3 (100%) | 0.00 rows/s | ETA --"]);
  // A torn last line (killed mid-write) redoes only that batch.
  const text = await Deno.readTextFile(join(dir, "r.jsonl"));
  await Deno.writeTextFile(join(dir, "r.jsonl"), text.slice(0, -10));
  const torn = await ResumeStore.open(join(dir, "r.jsonl"), "key");
  strictEqual(torn.finished.size, 1);
  // Another key starts afresh.
  strictEqual((await ResumeStore.open(join(dir, "r.jsonl"), "other")).finished.size, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fitHead refuses a missing or mismatched head unless --init-head is given", () => {
  const bare = randomModel(zooEntry("tiny-albert").config, 1);
  const wanted = { kind: "sequence-classification" as const, numLabels: 3 };
  throws(() => fitHead(bare, wanted, { source: "ckpt" }), /ckpt has no task head.*--init-head/);
  const fitted = fitHead(bare, wanted, { source: "ckpt", initHeadSeed: 5 });
  ok(fitted.initialisedHead);
  deepStrictEqual(fitted.model.config.head, wanted);
  // The encoder is the checkpoint's, unchanged.
  const word = bare.layout.embeddings.word;
  strictEqual(fitted.model.weights.get(word), bare.weights.get(word));
  // The same seed gives the same head.
  const again = fitHead(bare, wanted, { source: "ckpt", initHeadSeed: 5 });
  deepStrictEqual(
    again.model.weights.get("classifier.weight"),
    fitted.model.weights.get("classifier.weight"),
  );
  // A fitting head is used as it is.
  strictEqual(fitHead(fitted.model, wanted, { source: "x" }).model, fitted.model);
  throws(
    () => fitHead(fitted.model, { kind: "question-answering" }, { source: "x" }),
    /sequence-classification head with 3 label\(s\), but the task needs a question-answering/,
  );
});

Deno.test("fitHead picks a multi-task (PAL) model's task by --task-index", () => {
  const pals = randomModel(zooEntry("tiny-bert-pals").config, 1);
  const head = pals.config.head as { taskNumLabels: number[] };
  const wanted = { kind: "sequence-classification" as const, numLabels: head.taskNumLabels[1] };
  throws(() => fitHead(pals, wanted, { source: "p" }), /--task-index/);
  throws(() => fitHead(pals, wanted, { source: "p", taskIndex: 9 }), /out of range/);
  strictEqual(fitHead(pals, wanted, { source: "p", taskIndex: 1 }).task, 1);
});

Deno.test("ResumeStore.open fails loudly on an unwritable path", async () => {
  await rejects(ResumeStore.open("/nonexistent-dir/x/r.jsonl", "k"));
});

Deno.test("ResumeStore keeps NaN and infinities exactly and heals a torn file", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "r.jsonl");
  const store = await ResumeStore.open(path, "k");
  await store.add(0, [Float32Array.of(NaN, Infinity, -0.5)]);
  await store.add(1, [Float32Array.of(1.25)]);
  // Tear the last line, reopen (drops it), then append: the new batch must survive a reopen.
  await Deno.writeTextFile(path, (await Deno.readTextFile(path)).slice(0, -5));
  const torn = await ResumeStore.open(path, "k");
  deepStrictEqual([...torn.finished.keys()], [0]);
  const row = torn.finished.get(0)![0];
  ok(Number.isNaN(row[0]));
  strictEqual(row[1], Infinity);
  strictEqual(row[2], -0.5);
  await torn.add(1, [Float32Array.of(2.5)]);
  const healed = await ResumeStore.open(path, "k");
  deepStrictEqual(Array.from(healed.finished.get(1)![0]), [2.5]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runRows checks each stored row's width: a resume file's is redone, a given one fails", async () => {
  const dir = await Deno.makeTempDir();
  const rows = [row([1]), row([2, 3]), row([4, 5, 6])];
  const head = { kind: "sequence-classification" as const, numLabels: 2 };
  const options = { batchSize: 2, head, padId: 0, label: "t", silent: true };
  // Batch 0 holds rows 2 and 1 (longest first), batch 1 row 0; batch 0 stored with 1 logit a row.
  const path = join(dir, "r.jsonl");
  const store = await ResumeStore.open(path, "key");
  await store.add(0, [Float32Array.of(15), Float32Array.of(5)]);
  await store.add(1, [Float32Array.of(1, 1)]);
  const shardPath = join(dir, "shard.logits.jsonl");
  await Deno.copyFile(path, shardPath);
  const own = await ResumeStore.open(path, "key");
  const backend = wideBackend(2);
  let out: Float32Array[] = [];
  const printed = await errorLines(async () =>
    out = await runRows(backend, rows, { ...options, resume: own })
  );
  deepStrictEqual(printed, [
    `warning: ${path} line 2: batch 0 row 0 has 1 logit, but the head gives 2; computing it again`,
  ]);
  deepStrictEqual(backend.calls, [2], "only batch 0 ran again");
  deepStrictEqual(out.map((l) => Array.from(l)), [[1, 1], [5, 5], [15, 15]]);
  // The same batches read strictly from a shard's file and given (what merge hands on) are an
  // error, even beside a resume file that holds them right.
  const shard = await ResumeStore.read(shardPath, "key");
  const given = (store: ResumeStore) =>
    new Map([...store.finished].map(([b, logits]) => [b, { logits, at: store.storedAt(b)! }]));
  await rejects(runRows(wideBackend(2), rows, { ...options, resume: own, given: given(shard) }), {
    message: `${shardPath} line 2: batch 0 row 0 has 1 logit, but the head gives 2`,
  });
  // Question answering: two logits per token of the row's own length.
  const qa = await ResumeStore.open(join(dir, "qa.jsonl"), "key");
  await qa.add(0, [new Float32Array(6), new Float32Array(3)]);
  const qaShard = await ResumeStore.read(join(dir, "qa.jsonl"), "key");
  await rejects(
    runRows(wideBackend(2), rows.slice(1), {
      ...options,
      head: { kind: "question-answering" },
      given: given(qaShard),
    }),
    {
      message: `${join(dir, "qa.jsonl")} line 2: batch 0 row 1 has 3 logits, but the head gives 4`,
    },
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("ResumeStore reads base64 strictly: a row with other characters is dropped", async () => {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "r.jsonl");
  const store = await ResumeStore.open(path, "k");
  await store.add(0, [Float32Array.of(1.5)]);
  await store.add(1, [Float32Array.of(2.5)]);
  // Node's base64 decoder would skip the "!" and read 4 bytes; the store must not.
  const lines = (await Deno.readTextFile(path)).split("\n");
  lines[1] = JSON.stringify({ unit: "0", value: ["AA!DAPw=="] });
  await Deno.writeTextFile(path, lines.join("\n"));
  let reopened: ResumeStore | undefined;
  const printed = await errorLines(async () => reopened = await ResumeStore.open(path, "k"));
  deepStrictEqual(printed, [
    `warning: ${path} line 2 (batch 0): row 0 is not valid base64; dropped, so that work is redone`,
  ]);
  deepStrictEqual([...reopened!.finished.keys()], [1]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("fitHead finds a multi-task model's head by the task it was trained on", () => {
  const json = {
    ...configToJson(zooEntry("tiny-bert").config),
    architectures: ["BertForMultiTask"],
    task_num_labels: [2, 1, 2],
    task_names: ["glue/rte", "glue/stsb", "glue/wnli"],
  };
  const model = randomModel(parseConfig(json), 0);
  // The JSON round trip keeps the names.
  deepStrictEqual(configToJson(model.config).task_names, json.task_names);
  const wanted = { kind: "sequence-classification" as const, numLabels: 2 };
  strictEqual(fitHead(model, wanted, { source: "ckpt", taskName: "glue/wnli" }).task, 2);
  // An explicit index wins (say, the MNLI head for the AX diagnostic set).
  strictEqual(
    fitHead(model, wanted, { source: "ckpt", taskName: "glue/wnli", taskIndex: 0 }).task,
    0,
  );
  throws(
    () => fitHead(model, wanted, { source: "ckpt", taskName: "glue/qnli" }),
    {
      message: "ckpt is a multi-task model (3 tasks: 0 glue/rte, 1 glue/stsb, 2 glue/wnli): " +
        "pass --task-index N to say which of its heads serves this task",
    },
  );
  throws(
    () => parseConfig({ ...json, task_names: ["glue/rte"] }),
    /task_names must list 3 task names \(one per task\)/,
  );
});
