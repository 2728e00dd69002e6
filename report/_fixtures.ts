/** Small hand-written run records for the report tests, written to a temporary directory. */
import { join } from "node:path";
import type { RunRecord } from "../runtime/records.ts";

/** `{median, min, max}`. */
export const spread = (median: number, min: number, max: number) => ({ median, min, max });

/** A five-repetition inference bench record over the given models. */
export function benchInference(
  createdAt: string,
  models: { name: string; webgpu: ReturnType<typeof spread>; ort?: ReturnType<typeof spread> }[],
  extra: Record<string, unknown> = {},
) {
  return {
    kind: "bench",
    suite: "default",
    speedupReference: "bert-large-uncased",
    reps: 5,
    adapter: { description: "test adapter", features: ["timestamp-query", "shader-f16"] },
    models: models.map((m) => ({
      params: 1000,
      batch: 2,
      seqLen: 64,
      ort: spread(10, 9, 11),
      ...m,
    })),
    createdAt,
    ...extra,
  };
}

/** A full dev-split eval record. */
export function evalRecord(
  createdAt: string,
  model: string,
  task: string,
  metrics: Record<string, number>,
  extra: Record<string, unknown> = {},
) {
  return { kind: "eval", model, task, split: "dev", limit: null, metrics, createdAt, ...extra };
}

/** A full-data single-task train record of one seed. */
export function trainRecord(
  createdAt: string,
  model: string,
  task: string,
  seed: number,
  metrics: Record<string, number>,
  extra: Record<string, unknown> = {},
) {
  return {
    kind: "train",
    model,
    tasks: [{
      task,
      index: 0,
      metric: Object.keys(metrics)[0],
      best: { score: 0, epoch: 1, metrics },
    }],
    adapter: null,
    schedule: null,
    seed,
    steps: 100,
    epochs: 1,
    batchSize: 32,
    lr: 1e-3,
    limit: null,
    createdAt,
    ...extra,
  };
}

/** Write each record as `<name>.json` in a new temporary directory; returns the directory. */
export async function writeRuns(records: Record<string, unknown>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "report-test-" });
  for (const [name, record] of Object.entries(records)) {
    const text = typeof record === "string" ? record : JSON.stringify(record, null, 2);
    await Deno.writeTextFile(join(dir, `${name}.json`), text);
  }
  return dir;
}

/** The Markdown table row whose first cell starts with `label`. */
export function rowOf(markdown: string, label: string): string[] {
  const line = markdown.split("\n").find((l) => l.startsWith(`| ${label} |`));
  if (!line) throw new Error(`no row "${label}" in:\n${markdown}`);
  return line.slice(2, -2).split(" | ");
}

/** The lines of one `## heading` section. */
export function sectionOf(markdown: string, heading: string): string {
  const start = markdown.indexOf(`## ${heading}`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/** A deep copy of `record` with the field at `path` set to `value`, as a hand edit would leave it. */
export function edited(record: RunRecord, path: (string | number)[], value: unknown): RunRecord {
  const copy = structuredClone(record);
  let at = copy as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  at[path.at(-1)!] = value;
  return copy;
}
