import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadTokenizer, tokenizerFor } from "./load.ts";

const VOCAB_DIR = fileURLToPath(new URL("../../shared/data/vocab/", import.meta.url));
const MODEL = join(VOCAB_DIR, "albert-base-v2", "spiece.model");
const TINY_VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "Hello", "hello", "café", "cafe"];

/** Run `body` with a fresh temporary directory, removed afterwards. */
async function withDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a directory with spiece.model is ALBERT's tokenizer", async () => {
  const tokenizer = await loadTokenizer(join(VOCAB_DIR, "albert-base-v2"));
  strictEqual(tokenizer.kind, "sentencepiece");
  deepStrictEqual(tokenizer.tokenize("This is a test").ids, [48, 25, 21, 1289]);
});

Deno.test("a directory with vocab.txt is BERT's tokenizer; a file works directly", async () => {
  const dir = join(VOCAB_DIR, "bert-base-uncased");
  const fromDir = await loadTokenizer(dir);
  strictEqual(fromDir.kind, "wordpiece");
  strictEqual(fromDir.source, join(dir, "vocab.txt"));
  const fromFile = await loadTokenizer(join(dir, "vocab.txt"));
  deepStrictEqual(fromFile.tokenize("Hello, world!").ids, [7592, 1010, 2088, 999]);
  strictEqual((await loadTokenizer(MODEL)).kind, "sentencepiece");
});

Deno.test("tokenizer_config.json switches: ALBERT keep_accents", async () => {
  await withDir(async (dir) => {
    await Deno.copyFile(MODEL, join(dir, "spiece.model"));
    await Deno.writeTextFile(
      join(dir, "tokenizer_config.json"),
      JSON.stringify({ do_lower_case: true, keep_accents: true, remove_space: true }),
    );
    const tokenizer = await loadTokenizer(dir);
    // The accents-kept fixture of ../shared/fixtures/README.md.
    deepStrictEqual(
      tokenizer.tokenize("I was born in 92000, and this is falsé.").ids,
      [31, 23, 386, 19, 561, 3050, 15, 17, 48, 25, 8256, 18, 1, 9],
    );
  });
});

Deno.test("tokenizer_config.json switches: BERT do_lower_case and strip_accents", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(join(dir, "vocab.txt"), TINY_VOCAB.join("\n") + "\n");
    strictEqual((await loadTokenizer(dir)).tokenize("Hello Café").tokens.join(" "), "hello cafe");
    const config = join(dir, "tokenizer_config.json");
    await Deno.writeTextFile(config, JSON.stringify({ do_lower_case: false, strip_accents: null }));
    strictEqual((await loadTokenizer(dir)).tokenize("Hello café").tokens.join(" "), "Hello café");
    await Deno.writeTextFile(config, JSON.stringify({ do_lower_case: true, strip_accents: false }));
    strictEqual((await loadTokenizer(dir)).tokenize("Hello Café").tokens.join(" "), "hello café");
  });
});

Deno.test("a directory with neither file names both expected files", async () => {
  await withDir(async (dir) => {
    await rejects(loadTokenizer(dir), (e: Error) => {
      ok(e.message.includes(`"${dir}"`), e.message);
      ok(e.message.includes('"spiece.model"') && e.message.includes('"vocab.txt"'), e.message);
      return true;
    });
  });
});

Deno.test("a missing path, corrupt model or bad config is an error naming the file", async () => {
  await withDir(async (dir) => {
    const missing = join(dir, "nothing-here");
    await rejects(loadTokenizer(missing), (e: Error) => e.message.includes(`"${missing}"`));
    const model = join(dir, "spiece.model");
    await Deno.writeFile(model, new Uint8Array([0x0a, 0xff, 0x01, 0x02]));
    await rejects(loadTokenizer(dir), (e: Error) => e.message.includes(`"${model}"`));
    await Deno.copyFile(MODEL, model);
    const config = join(dir, "tokenizer_config.json");
    await Deno.writeTextFile(config, "{ not json");
    await rejects(loadTokenizer(dir), (e: Error) => e.message.includes(`"${config}"`));
    await Deno.writeTextFile(config, JSON.stringify({ do_lower_case: "yes" }));
    await rejects(loadTokenizer(dir), (e: Error) => e.message.includes("do_lower_case"));
  });
});

Deno.test("tokenizerFor refuses a vocabulary larger than the model's embedding table", async () => {
  const options = { model: "ckpt/x", data: join(VOCAB_DIR, ".."), tokenizer: undefined };
  // The data directory's BERT vocabulary (30522 entries) for a BERT config of 30522, then 30000.
  const fits = await tokenizerFor(options, undefined, { modelType: "bert", vocabSize: 30522 });
  strictEqual(fits.vocabSize, 30522);
  await rejects(
    tokenizerFor(options, undefined, { modelType: "bert", vocabSize: 30000 }),
    (e: Error) => {
      ok(e.message.includes(join(VOCAB_DIR, "bert-base-uncased", "vocab.txt")), e.message);
      ok(e.message.includes("30522") && e.message.includes("30000"), e.message);
      ok(e.message.includes("ckpt/x"), e.message);
      return true;
    },
  );
  // An explicit --tokenizer is checked the same way.
  await rejects(
    tokenizerFor({ ...options, tokenizer: MODEL }, undefined, { modelType: "bert", vocabSize: 99 }),
    (e: Error) => e.message.includes(MODEL) && e.message.includes("(vocab_size)"),
  );
});
