/**
 * GLUE predictions files in the submission format of gluebenchmark.com: a header line
 * `index<TAB>prediction`, then one `index<TAB>prediction` line per example, with labels written
 * as in the data (STS-B: a float).
 */
import { limitHint, PredictionsError, quoted } from "../task.ts";
import { checkLabel, tsvLines } from "./_text.ts";
import type { GlueExample } from "./load.ts";
import type { GlueTask } from "./tasks.ts";

/** One predicted row: the example's `index` and its label (STS-B: a float as a string). */
export interface GluePrediction {
  index: number;
  prediction: string;
}

const HEADER = "index\tprediction";

/** The GLUE submission file for `rows`, in the order given; throws on an invalid label. */
export function formatGluePredictions(task: GlueTask, rows: readonly GluePrediction[]): string {
  const lines = [HEADER];
  for (const { index, prediction } of rows) {
    if (!Number.isInteger(index) || index < 0) {
      throw new RangeError(`Cannot write ${task.name} prediction: index ${index} is not an index`);
    }
    const why = checkLabel(task, prediction);
    if (why !== undefined) {
      throw new RangeError(`Cannot write ${task.name} prediction for index ${index}: ${why}`);
    }
    lines.push(`${index}\t${prediction}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * Predictions aligned with `examples` (by their `index`); throws a PredictionsError naming the
 * file and line for a malformed line, an unknown or duplicate index, an invalid label, and
 * naming the file for indices with no prediction. The header line is optional.
 */
export function parseGluePredictions(
  text: string,
  file: string,
  task: GlueTask,
  examples: readonly GlueExample[],
): string[] {
  const fail = (why: string, line?: number): never => {
    const where = line === undefined ? "" : ` line ${line}`;
    throw new PredictionsError(`Cannot read predictions "${file}"${where}: ${why}`);
  };
  const position = new Map<number, number>();
  examples.forEach((example, i) => position.set(example.index, i));
  const predictions = new Array<string | undefined>(examples.length).fill(undefined);
  const seenOn = new Map<number, number>();

  const lines = tsvLines(text, (line, why) => fail(why, line));
  // The header is optional: a first line whose first field is a name rather than a number.
  const first = /^\s*(index|id)\s*$/i.test(lines[0]?.split("\t")[0] ?? "") ? 1 : 0;
  for (let i = first; i < lines.length; i++) {
    const line = i + 1;
    const fields = lines[i].split("\t");
    const indexText = fields[0].trim();
    if (fields.length !== 2 || !/^\d+$/.test(indexText)) {
      fail(`expected "index<TAB>prediction", found ${quoted(lines[i])}`, line);
    }
    const index = Number(indexText);
    const at = position.get(index);
    if (at === undefined) {
      fail(`index ${index} is not in the ${task.name} data (${examples.length} examples)`, line);
    }
    const earlier = seenOn.get(index);
    if (earlier !== undefined) fail(`index ${index} is also on line ${earlier}`, line);
    seenOn.set(index, line);
    const prediction = fields[1].trim();
    const why = checkLabel(task, prediction);
    if (why !== undefined) fail(why, line);
    predictions[at!] = prediction;
  }

  const missing: number[] = [];
  predictions.forEach((p, i) => p === undefined && missing.push(examples[i].index));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(", ") + (missing.length > 5 ? ", …" : "");
    fail(
      `${missing.length} of ${examples.length} ${task.name} examples have no prediction ` +
        `(indices ${shown})` + limitHint(predictions.map((p) => p !== undefined), "examples"),
    );
  }
  return predictions as string[];
}
