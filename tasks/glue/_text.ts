/** Text helpers shared by the GLUE loader and the predictions parser, so both read lines and
 * labels by one rule. */
import { quoted, quoteSome } from "../task.ts";
import type { GlueTask } from "./tasks.ts";

/**
 * Split a file's text (decoded, so without a BOM) into lines: accept CRLF, drop the final empty
 * line. A carriage return left inside a line calls `fail` with its 1-based line: Python's
 * universal newlines (how the official GLUE readers open files) would end a line there, so
 * such a file (CR-only line endings, or a stray CR) is refused rather than read differently.
 */
export function tsvLines(text: string, fail: (line: number, why: string) => never): string[] {
  const lines = text.split("\n").map((line) => line.endsWith("\r") ? line.slice(0, -1) : line);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const stray = lines.findIndex((line) => line.includes("\r"));
  if (stray >= 0) {
    fail(
      stray + 1,
      "a carriage return (CR) inside the line: the file has CR-only line endings or a stray " +
        "CR; save it with LF or CRLF line endings",
    );
  }
  return lines;
}

/**
 * Why `value` is not a valid label of `task` (undefined when it is). Shared with the predictions
 * parser so that gold labels and predictions obey one rule.
 */
export function checkLabel(task: GlueTask, value: string): string | undefined {
  if (task.regression) {
    return parseScore(value) === undefined ? `score ${quoted(value)} is not a number` : undefined;
  }
  return task.labels.includes(value)
    ? undefined
    : `label ${quoted(value)} is not one of ${quoteSome(task.labels)}`;
}

/**
 * Why `value` is not a valid gold label of `task`: `checkLabel`, and for STS-B a score within
 * the task's range (predictions, a model's raw output, may fall outside it).
 */
export function checkGold(task: GlueTask, value: string): string | undefined {
  const why = checkLabel(task, value);
  if (why !== undefined || task.scoreRange === undefined) return why;
  const [low, high] = task.scoreRange;
  const score = parseScore(value)!;
  return score >= low && score <= high
    ? undefined
    : `score ${quoted(value)} is outside [${low}, ${high}]`;
}

/**
 * Decimal notation as Python's `float()` reads it, less inf and nan: `Number()` alone also takes
 * "" and " " (as 0), hex ("0x3"), binary and octal.
 */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** An STS-B score in decimal notation (surrounding spaces allowed) as a finite number, or undefined. */
export function parseScore(value: string): number | undefined {
  const text = value.trim();
  if (!DECIMAL.test(text)) return undefined;
  const x = Number(text);
  return Number.isFinite(x) ? x : undefined; // "1e999"
}
