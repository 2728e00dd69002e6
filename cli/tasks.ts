/** `deno task harness tasks`: the registered tasks with metrics, splits and sizes found. */
import Table from "cli-table3";
import { parseFlags } from "./flags.ts";
import { dataDir } from "../tasks/task.ts";
import { taskEntries } from "../tasks/registry.ts";

const HELP = `Usage: deno task harness tasks [--data DIR] [--json]

List the tasks with their metrics, splits, and the number of examples of each
split found under the data directory ("—" where its files are missing).

Flags:
  --data DIR   Data directory (default $HARNESS_DATA or ./data)
  --json       Print a JSON array
  -h, --help`;

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
  if (flags.json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  const table = new Table({
    head: ["task", "metrics", "train", "dev", "test"],
    colAligns: ["left", "left", "right", "right", "right"],
    style: { head: [], border: [] },
    // One line per task, no rule between rows.
    chars: { "mid": "", "left-mid": "", "mid-mid": "", "right-mid": "" },
  });
  const cell = (sizes: Record<string, number | null>, split: string) =>
    !(split in sizes) ? "" : sizes[split] === null ? "—" : sizes[split]!.toLocaleString("en-US");
  // A rule under the header only: the first body row draws its own top line.
  const rule = { "mid": "─", "left-mid": "├", "mid-mid": "┼", "right-mid": "┤" };
  for (const [i, r] of rows.entries()) {
    const cells = [
      r.name,
      r.metrics.join(", "),
      cell(r.sizes, "train"),
      cell(r.sizes, "dev"),
      cell(r.sizes, "test"),
    ];
    table.push(cells.map((content) => (i === 0 ? { content, chars: rule } : content)));
  }
  console.log(`Data directory: ${root}`);
  console.log(table.toString());
  return 0;
}
