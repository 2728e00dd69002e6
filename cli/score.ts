/** `deno task harness score`: score a predictions file with the task's official metric. */
import { integerFlag, parseFlags, UsageError } from "./flags.ts";
import { dataDir } from "../tasks/task.ts";
import { taskAndSplit } from "./_task_flags.ts";
import { taskEntry, taskNames } from "../tasks/registry.ts";

const HELP = `Usage: deno task harness score --task NAME --predictions FILE [flags]

Print the official metrics of a predictions file as one JSON object, as the
official scoring scripts do (so --json changes nothing; it is accepted like
on every other command).
Formats: GLUE "index<TAB>prediction" (GLUE submission TSV); SQuAD {"id": "answer"}
JSON (with --na-probs {"id": probability} for v2.0 best-threshold metrics);
RACE {"article id": ["A", "C", ...]} JSON.

Flags:
  --task NAME          One of: ${taskNames().join(", ")}
  --predictions FILE   The predictions file
  --split dev|test|train  Gold split (default dev)
  --data DIR           Data directory (default $HARNESS_DATA or ./data)
  --na-probs FILE      SQuAD v2.0 no-answer probabilities
  --limit N            Score against the first N examples only (as "eval --limit N" ran)
  --json               The output is JSON already
  -h, --help`;

/** Parse `score` flags, score, and print the metrics JSON on stdout. */
export async function scoreCommand(args: string[]): Promise<number> {
  const flags = parseFlags("score", args, {
    task: { type: "string" },
    predictions: { type: "string" },
    split: { type: "string" },
    data: { type: "string" },
    "na-probs": { type: "string" },
    limit: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const { task, split } = taskAndSplit("score", flags);
  if (!flags.predictions) throw new UsageError(`score needs --predictions FILE (see --help)`);
  const entry = taskEntry(task);
  if (flags["na-probs"] && entry.name !== "squad/v2.0") {
    throw new UsageError(`--na-probs only applies to squad/v2.0`);
  }
  const warnings = cappedWarnings(WARNINGS_SHOWN);
  const metrics = await entry.score({
    root: dataDir(flags.data),
    split,
    predictionsFile: flags.predictions,
    naProbsFile: flags["na-probs"],
    limit: integerFlag("limit", flags.limit, 1),
    warn: warnings.warn,
  });
  warnings.finish();
  console.log(JSON.stringify(metrics));
  return 0;
}

/** Per-question warnings of one kind printed in full before the rest are only counted. */
const WARNINGS_SHOWN = 10;

/**
 * A `warn` that caps the warnings the scorers repeat once per question
 * (SQuAD's "Unanswered question …"), grouped by their first two words, and
 * at `finish` says how many of each kind it left out. One-off warnings (ids
 * not in the data, a version mismatch) are always printed.
 */
function cappedWarnings(shown: number) {
  const counts = new Map<string, number>();
  return {
    warn(message: string) {
      const kind = message.split(" ").slice(0, 2).join(" ");
      const count = (counts.get(kind) ?? 0) + 1;
      counts.set(kind, count);
      if (count <= shown) console.error(`warning: ${message}`);
    },
    finish() {
      for (const [kind, count] of counts) {
        const more = count - shown;
        if (more > 0) {
          console.error(`warning: … and ${more} more "${kind} …" warning${more === 1 ? "" : "s"}`);
        }
      }
    },
  };
}
