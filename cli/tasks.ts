/** `deno task harness tasks`: the registered tasks with metrics, splits and sizes found. */
import Table from "cli-table3";
import { parseFlags } from "./flags.ts";
import { formatCount, MISSING } from "../benchmarks/format.ts";
import { directoryProblem } from "../runtime/files.ts";
import { dataDir } from "../tasks/task.ts";
import { taskEntries } from "../tasks/registry.ts";

const HELP = `Usage: deno task harness tasks [--data DIR] [--json]

List the tasks with their metrics, splits, and the number of examples of each
split found under the data directory ("—" where its files are missing).

Flags:
  --data DIR   Data directory (default $HARNESS_DATA or ./data)
  --json       Print a JSON array
  -h, --help`;

/** Why every size is missing, and how to point the harness at the data. */
function noDataHint(root: string): string {
  const why = directoryProblem(root) ?? "holds none of the task files";
  return `note: the data directory "${root}" ${why}; pass --data DIR ` +
    `(e.g. --data ../shared/data) or set HARNESS_DATA`;
}

/** List tasks as a table (or JSON). */
export async function tasksCommand(args: string[]): Promise<number> {
  const flags = parseFlags("tasks", args, {
    data: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const root = dataDir(flags.data);
  const rows = [];
  for (const entry of taskEntries()) {
    const sizes: Record<string, number | null> = {};
    for (const split of entry.splits) sizes[split] = (await entry.size(root, split)) ?? null;
    rows.push({ name: entry.name, metrics: entry.metrics, splits: entry.splits, sizes });
  }
  // The hint goes to stderr, so it never mixes into the JSON on stdout.
  const found = rows.some((r) => Object.values(r.sizes).some((n) => n !== null));
  if (flags.json) {
    console.log(JSON.stringify(rows, null, 2));
    if (!found) console.error(noDataHint(root));
    return 0;
  }
  const table = new Table({
    head: ["task", "metrics", "train", "dev", "test"],
    colAligns: ["left", "left", "right", "right", "right"],
    // One line per task, a rule under the header only.
    style: { head: [], border: [], compact: true },
  });
  // Blank where the task has no such split; "—" where its files are missing.
  const cell = (sizes: Record<string, number | null>, split: string) =>
    !(split in sizes) ? "" : sizes[split] === null ? MISSING : formatCount(sizes[split]!);
  for (const r of rows) {
    table.push([
      r.name,
      r.metrics.join(", "),
      cell(r.sizes, "train"),
      cell(r.sizes, "dev"),
      cell(r.sizes, "test"),
    ]);
  }
  console.log(`Data directory: ${root}`);
  console.log(table.toString());
  if (!found) console.error(noDataHint(root));
  return 0;
}
