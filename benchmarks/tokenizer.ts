/**
 * Tokenizer throughput: every sentence of GLUE SST-2 dev through ALBERT's
 * SentencePiece and BERT's WordPiece tokenizers, one untimed warm-up pass
 * then five timed ones; prints tokens/s as median (min–max).
 *
 * Run: `deno run -A benchmarks/tokenizer.ts [--data DIR]` (default: `$HARNESS_DATA`,
 * else `../shared/data`).
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadSentencePiece } from "../tokenizers/sentencepiece.ts";
import { loadWordPiece } from "../tokenizers/wordpiece.ts";
import type { Tokenizer } from "../tokenizers/tokenizer.ts";
import { formatCount, formatMedianRange } from "./format.ts";
import { type Spread, spread } from "./throughput.ts";

const WARMUP = 1;
const REPS = 5;
const ALBERT_MODEL = "vocab/albert-base-v2/spiece.model";
const BERT_VOCAB = "vocab/bert-base-uncased/vocab.txt";

/** The `sentence` column of a GLUE TSV with a header row (tabs only, no quoting). */
export function readSentences(path: string): string[] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`Cannot read "${path}": ${(error as Error).message}`, { cause: error });
  }
  const lines = text.split("\n").map((l) => l.replace(/\r$/, ""));
  const column = lines[0].split("\t").indexOf("sentence");
  if (column < 0) throw new Error(`No "sentence" column in the header of "${path}"`);
  return lines.slice(1).filter((l) => l !== "").map((l) => l.split("\t")[column]);
}

/** Tokens per second of `tokenizer` over `sentences`, one figure per timed pass. */
export function tokenizerThroughput(
  tokenizer: Tokenizer,
  sentences: string[],
): { tokens: number; tokensPerSecond: Spread } {
  const rates: number[] = [];
  let tokens = 0;
  for (let rep = 0; rep < WARMUP + REPS; rep++) {
    const start = performance.now();
    tokens = 0;
    for (const s of sentences) tokens += tokenizer.tokenize(s).ids.length;
    const seconds = (performance.now() - start) / 1000;
    if (rep >= WARMUP) rates.push(tokens / seconds);
  }
  return { tokens, tokensPerSecond: spread(rates) };
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { data: { type: "string" } } });
  const data = values.data ?? Deno.env.get("HARNESS_DATA") ?? "../shared/data";
  const sentences = readSentences(join(data, "glue", "SST-2", "dev.tsv"));
  const tokenizers: [string, Tokenizer][] = [
    ["albert-base-v2 SentencePiece", await loadSentencePiece(join(data, ALBERT_MODEL))],
    ["bert-base-uncased WordPiece", await loadWordPiece(join(data, BERT_VOCAB))],
  ];
  const count = formatCount(sentences.length);
  console.log(`SST-2 dev: ${count} sentences; ${REPS} timed passes after ${WARMUP} warm-up`);
  for (const [name, tokenizer] of tokenizers) {
    const { tokens, tokensPerSecond } = tokenizerThroughput(tokenizer, sentences);
    const rate = formatMedianRange(tokensPerSecond, 0);
    console.log(`${name.padEnd(30)} ${formatCount(tokens).padStart(7)} tokens  ${rate} tokens/s`);
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    // One line, not a stack trace: the usual cause is a data folder in the wrong place.
    console.error(error instanceof Error ? error.message : String(error));
    console.error("(set --data DIR or HARNESS_DATA to the folder holding glue/ and vocab/)");
    Deno.exit(1);
  }
}
