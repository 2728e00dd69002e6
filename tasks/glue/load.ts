/**
 * Read a GLUE split from its TSV file. Quoting is off (fields split on tabs only): RTE and QNLI
 * hold bare `"` characters that a quote-aware parser would use to merge rows.
 */
import { DataError, quoted, quoteSome, readTextSync, requireFiles, type Split } from "../task.ts";
import type { Column, GlueFile, GlueTask } from "./tasks.ts";
import { checkGold, tsvLines } from "./_text.ts";

/** One data row of a GLUE split. */
export interface GlueExample {
  /** 0-based data row, header excluded; equals the `index` column where a file has one. */
  index: number;
  textA: string;
  textB?: string;
  /** As written in the file; undefined for unlabelled (test) rows. */
  label?: string;
}

/** The split's file spec, or a DataError naming the splits the task has. */
export function glueFile(task: GlueTask, split: Split): GlueFile {
  const spec = task.splits[split];
  if (spec === undefined) {
    throw new DataError(
      `GLUE task "${task.name}" has no ${split} split; it has ${
        Object.keys(task.splits).join(", ")
      }`,
    );
  }
  return spec;
}

/** Read every row of a GLUE split; a malformed row throws a DataError naming file and line. */
export function loadGlue(root: string, task: GlueTask, split: Split): GlueExample[] {
  const spec = glueFile(task, split);
  const [path] = requireFiles(root, task.name, [`${task.folder}/${spec.file}`]);
  const text = readTextSync(path, (why) => {
    throw new DataError(`Cannot read GLUE file "${path}": ${why}`);
  });
  const fail = (line: number, why: string): never => {
    throw new DataError(`Cannot read GLUE file "${path}" line ${line}: ${why}`);
  };
  const lines = tsvLines(text, fail);

  if (lines.length === 0) fail(1, "the file is empty");
  const first = spec.header ? 1 : 0;
  const header = spec.header ? (lines[0] ?? "").split("\t") : [];
  const position = (column: Column): number => {
    if (typeof column === "number") return column;
    const at = header.indexOf(column);
    if (at < 0) {
      fail(1, `no column ${quoted(String(column))} in the header (it has ${quoteSome(header)})`);
    }
    return at;
  };
  const a = position(spec.textA);
  const b = spec.textB === undefined ? undefined : position(spec.textB);
  const label = spec.label === undefined ? undefined : position(spec.label);
  const needed = Math.max(a, b ?? 0, label ?? 0) + 1;

  const examples: GlueExample[] = [];
  for (let i = first; i < lines.length; i++) {
    const fields = lines[i].split("\t");
    if (fields.length < needed) {
      fail(i + 1, `expected at least ${needed} tab-separated columns, found ${fields.length}`);
    }
    const example: GlueExample = { index: i - first, textA: fields[a] };
    if (b !== undefined) example.textB = fields[b];
    if (label !== undefined) {
      const value = fields[label];
      const why = checkGold(task, value);
      if (why !== undefined) fail(i + 1, why);
      example.label = value;
    }
    examples.push(example);
  }
  // A split with no rows would score as 0 examples and look like a finished run.
  if (examples.length === 0) fail(lines.length, "the file has a header but no data rows");
  return examples;
}
