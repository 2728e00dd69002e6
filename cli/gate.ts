/**
 * `deno task harness gate`: compare run records with the committed baseline
 * and print a Markdown verdict. Exit 0 pass, 1 regression, 2 unusable input
 * (a missing or corrupt file, or nothing in common with the baseline).
 */
import { basename, join } from "node:path";
import {
  checksOfRecord,
  compareSnapshots,
  DEFAULT_TOLERANCES,
  GateInputError,
  gateMarkdown,
  type GateSnapshot,
  mergeSnapshots,
  parseSnapshot,
} from "../ci/gate.ts";
import { statOrUndefined, writeAtomic } from "../runtime/files.ts";
import {
  DEFAULT_RECORDS_DIR,
  listRecords,
  readRecord,
  type RunRecord,
} from "../runtime/records.ts";
import { checkRecord, isShardRecord } from "../report/validate.ts";
import { numberFlag, parseFlags } from "./flags.ts";

const HELP = `Usage: deno task harness gate [--baseline FILE] [--current RUN|FILE|DIR,...] [flags]

Compare the current run records with a baseline. Scores fail when a metric
drops by more than --score-tolerance points; speed is compared as a ratio to a
reference measured in the same run (WebGPU/ONNX Runtime, or a model/BERT-large
for training) and fails only when the median falls by more than
--speed-tolerance and the five-run ranges do not overlap. Prints a Markdown
summary for a pull-request comment. Exit 0 pass, 1 regression, 2 unusable input.

Flags:
  --baseline FILE          Baseline (default results/baseline.json)
  --current LIST           Run records: files, run ids (record names under results/runs/) or
                           directories, comma-separated (default: every record in results/runs/)
  --score-tolerance X      Allowed score drop in points (default ${DEFAULT_TOLERANCES.score})
  --speed-tolerance X      Allowed median slowdown as a fraction (default ${DEFAULT_TOLERANCES.speed})
  --update                 Write the current checks as the new baseline instead of comparing
  --json                   Print the comparison as JSON
  -h, --help`;

/** Parse `gate` flags, compare (or update) and return the exit code. */
export async function gateCommand(args: string[]): Promise<number> {
  const flags = parseFlags("gate", args, {
    baseline: { type: "string" },
    current: { type: "string" },
    "score-tolerance": { type: "string" },
    "speed-tolerance": { type: "string" },
    update: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (flags.help) {
    console.log(HELP);
    return 0;
  }
  const tolerances = {
    score: numberFlag("score-tolerance", flags["score-tolerance"], DEFAULT_TOLERANCES.score),
    speed: numberFlag("speed-tolerance", flags["speed-tolerance"], DEFAULT_TOLERANCES.speed),
  };
  const baselinePath = flags.baseline ?? join("results", "baseline.json");
  try {
    const current = await loadCurrent(flags.current);
    if (flags.update) {
      // An undefined (NaN) metric is no baseline: a later finite value would always "regress".
      const baseline = {
        ...current,
        scores: current.scores.filter((c) => Number.isFinite(c.value)),
      };
      // An empty baseline would pass every later run: keep the old one instead.
      if (baseline.scores.length + baseline.speed.length === 0) {
        throw new GateInputError(
          `--update: the current records give no check (no dev metrics, no speed ratios); ` +
            `${baselinePath} left as it was`,
        );
      }
      await writeAtomic(baselinePath, JSON.stringify(baseline, null, 2) + "\n");
      console.log(
        `Baseline ${baselinePath}: ${baseline.scores.length} score and ${baseline.speed.length} speed checks`,
      );
      return 0;
    }
    if (!(await statOrUndefined(baselinePath))) {
      throw new GateInputError(
        `No baseline at ${baselinePath}; create one with gate --update (or pass --baseline FILE)`,
      );
    }
    const baseline = parseSnapshot(await readJson(baselinePath), baselinePath);
    const result = compareSnapshots(baseline, current, tolerances);
    if (result.compared === 0) {
      throw new GateInputError(
        `None of the ${
          baseline.scores.length + baseline.speed.length
        } checks of ${baselinePath} was measured by the current records`,
      );
    }
    console.log(
      flags.json ? JSON.stringify(result, null, 2) : gateMarkdown(result, tolerances),
    );
    return result.regressions > 0 ? 1 : 0;
  } catch (error) {
    if (!(error instanceof GateInputError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
}

function readJson(path: string): Promise<RunRecord> {
  return gateInput(() => readRecord(path));
}

/** Run `read`, reporting a bad record as unusable input (exit 2). */
async function gateInput<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw new GateInputError((error as Error).message);
  }
}

/** The checks of the named records (files, run ids or directories), oldest first. */
async function loadCurrent(list: string | undefined): Promise<GateSnapshot> {
  const names = list === undefined ? [DEFAULT_RECORDS_DIR] : list.split(",").map((s) => s.trim());
  const records: { file: string; record: RunRecord }[] = [];
  for (const name of names) {
    const asRunId = join(DEFAULT_RECORDS_DIR, name.endsWith(".json") ? name : `${name}.json`);
    const info = await statOrUndefined(name);
    if (info?.isDirectory) {
      const stored = await gateInput(() => listRecords(name));
      records.push(
        ...stored.filter(({ path }) => basename(path) !== "baseline.json")
          .map(({ path, record }) => ({ file: path, record })),
      );
      continue;
    }
    const file = info?.isFile ? name : (await statOrUndefined(asRunId)) ? asRunId : undefined;
    if (!file) {
      throw new GateInputError(
        `--current: ${name} is neither a record file, a run id nor a directory`,
      );
    }
    records.push({ file, record: await readJson(file) });
  }
  // A corrupt figure or an unknown kind would otherwise drop its checks to "not measured".
  for (const { file, record } of records) checkRecord(file, record, GateInputError);
  records.sort((a, b) => String(a.record.createdAt).localeCompare(String(b.record.createdAt)));
  const snapshots = records
    // A pals-table record has nothing the gate compares; a shard holds part of a run, and
    // only whole (or merged) runs are compared.
    .filter(({ record }) => record.kind !== "pals-table" && !isShardRecord(record))
    .map(({ file, record }) =>
      checksOfRecord(record, file.split("/").pop()!.replace(/\.json$/, ""))
    );
  if (snapshots.length === 0) {
    throw new GateInputError(`--current: no run records in ${names.join(", ")}`);
  }
  return mergeSnapshots(snapshots);
}
