/** Text helpers shared by the GLUE loader and the predictions parser, so both read lines and
 * labels by one rule. */
import type { GlueTask } from "./tasks.ts";

/** Split a file's text into lines: strip a BOM, accept CRLF, drop the final empty line. */
export function tsvLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split("\n").map((line) => line.endsWith("\r") ? line.slice(0, -1) : line);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/**
 * Why `value` is not a valid label of `task` (undefined when it is). Shared with the predictions
 * parser so that gold labels and predictions obey one rule.
 */
export function checkLabel(task: GlueTask, value: string): string | undefined {
  if (task.regression) {
    return parseScore(value) === undefined ? `score "${value}" is not a number` : undefined;
  }
  return task.labels.includes(value)
    ? undefined
    : `label "${value}" is not one of ${quoteAll(task.labels)}`;
}

/** An STS-B score as a finite number, or undefined (Number() alone accepts "" and " "). */
export function parseScore(value: string): number | undefined {
  if (value.trim() === "") return undefined;
  const x = Number(value);
  return Number.isFinite(x) ? x : undefined;
}

/** Values quoted and comma-separated, for error messages. */
export function quoteAll(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(", ");
}
