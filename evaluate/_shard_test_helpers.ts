/** What the sharded-eval tests share: the data, and `eval --json` of tiny-albert-spm through the CLI. */
import { strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../tests/_cli.ts";

export const DATA = new URL("../../shared/data/", import.meta.url).pathname;
export const VOCAB = join(DATA, "vocab/albert-base-v2");

/** `eval` of tiny-albert-spm on the first `limit` examples of `task`, in batches of 4, `--json`. */
export function evalArgs(task: string, limit: number): string[] {
  return [
    ...["eval", "--model", "tiny-albert-spm", "--task", task, "--data", DATA],
    ...["--limit", String(limit), "--batch-size", "4", "--init-head", "1", "--tokenizer", VOCAB],
    "--json",
  ];
}

/** Run `evalArgs(task, limit)` with `extra` flags after them; its parsed outcome. */
export async function evalJson(task: string, limit: number, extra: string[]) {
  const run = await runCli([...evalArgs(task, limit), ...extra]);
  strictEqual(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}
