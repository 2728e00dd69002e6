/**
 * `deno task harness report`: write `LEADERBOARD.md` and `report.html` from
 * the run records of one directory. `--check` writes nothing and fails when
 * the leaderboard is out of date (for CI). Exit 0 done (or up to date), 1 a
 * malformed record, a runs directory without run records or an out-of-date
 * leaderboard, 2 a usage mistake.
 */
import { join, relative, resolve, sep } from "node:path";
import { writeAtomic } from "../runtime/files.ts";
import { DEFAULT_RECORDS_DIR } from "../runtime/records.ts";
import { leaderboardMarkdown } from "../report/leaderboard.ts";
import { reportPage } from "../report/page.ts";
import { loadRecords, RecordError } from "../report/records.ts";
import { renderReportHtml } from "../report/html.ts";
import { outputDirFlag, parseFlags } from "./flags.ts";

const HELP = `Usage: deno task harness report [--runs DIR] [--out DIR] [--check] [--json]

Generate OUT/LEADERBOARD.md and OUT/report.html from the run records directly
in DIR (subdirectories are not read; shard records of split runs are left out).
Every record there counts, your uncommitted runs included. The same records
always give the same bytes. A malformed record (named with its bad field), or
a DIR with no run records, is an error (exit 1) and writes nothing.

Flags:
  --runs DIR   Run records (default results/runs)
  --out DIR    Where the two files go (default results)
  --check      Write nothing; exit 1 when LEADERBOARD.md would change
  --json       Print {leaderboard, html, records} (paths and record count)
  -h, --help`;

/** Parse `report` flags, generate (or check) the leaderboard and page, and return the exit code. */
export async function reportCommand(args: string[]): Promise<number> {
  const flags = parseFlags("report", args, {
    runs: { type: "string" },
    out: { type: "string" },
    check: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const runs = flags.runs ?? DEFAULT_RECORDS_DIR;
  const out = outputDirFlag("out", flags.out) ?? "results";
  let set;
  try {
    set = await loadRecords(runs);
    // A wrong or emptied --runs would otherwise replace a full leaderboard with empty tables.
    if (!set.records.some((l) => l.record.kind !== "gate-baseline")) {
      const shards = set.shards.length
        ? ` (only ${set.shards.length} shard record(s) of split runs: merge them first)`
        : "";
      throw new RecordError(
        `No run records in ${runs}${shards}; nothing to report, ${out} left as it was`,
      );
    }
  } catch (error) {
    if (!(error instanceof RecordError)) throw error;
    console.error(`error: ${error.message}`);
    return 1;
  }
  const runsPath = relative(resolve(out), resolve(runs)).split(sep).join("/") || ".";
  const markdown = leaderboardMarkdown(set, { runsPath });
  const leaderboard = join(out, "LEADERBOARD.md");
  const html = join(out, "report.html");
  const records = set.records.length + set.shards.length;
  if (flags.check) {
    const current = await Deno.readTextFile(leaderboard).catch(() => undefined);
    const upToDate = current === markdown;
    if (flags.json) console.log(JSON.stringify({ leaderboard, upToDate, records }));
    else if (!upToDate) {
      console.error(
        `error: ${leaderboard} is ${
          current === undefined ? "missing" : "out of date"
        }; run "deno task harness report" and commit it`,
      );
    } else console.log(`${leaderboard} is up to date (${records} run records)`);
    return upToDate ? 0 : 1;
  }
  const page = await renderReportHtml(reportPage(set, { runsPath }));
  await Deno.mkdir(out, { recursive: true });
  await writeAtomic(leaderboard, markdown);
  await writeAtomic(html, page);
  if (flags.json) console.log(JSON.stringify({ leaderboard, html, records }));
  else console.log(`Wrote ${leaderboard} and ${html} from ${records} run records in ${runs}`);
  return 0;
}
