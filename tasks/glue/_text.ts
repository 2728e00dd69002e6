/** Text helpers shared by the GLUE loader and the predictions parser, so both read lines and
 * labels by one rule. */
import { quoted, quoteSome } from "../task.ts";
import type { GlueTask } from "./tasks.ts";

/** Split a file's text into lines: strip a BOM, accept CRLF, drop the final empty line. */
export function tsvLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split("\n").map((line) => line.endsWith("\r") ? line.slice(0, -1) : line);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * Index of the first line that still holds a carriage return, or -1. Python's universal
 * newlines (how the official GLUE readers open files) would end a line there, so such a file
 * (CR-only line endings, or a stray CR) is refused rather than read differently.
 */
export function strayCarriageReturn(lines: readonly string[]): number {
  return lines.findIndex((line) => line.includes("\r"));
}

/** Why a line holds a carriage return, for the loader's and the parser's error messages. */
export const STRAY_CR =
  "a carriage return (CR) inside the line: the file has CR-only line endings or a stray CR; " +
  "save it with LF or CRLF line endings";

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
