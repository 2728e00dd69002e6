/**
 * The committed leaderboard can never drift from its runs: regenerating
 * `results/LEADERBOARD.md` from the committed records in `results/runs/`
 * gives the committed file byte for byte. Local, uncommitted runs in the
 * same folder are left out (git lists the committed ones).
 */
import { strictEqual } from "node:assert/strict";
import { basename, join } from "node:path";
import { leaderboardMarkdown } from "./leaderboard.ts";
import { loadRecords } from "./records.ts";

const ROOT = new URL("../", import.meta.url).pathname;

/** Paths (from the root) of the committed records, or every record when git cannot tell. */
async function committedRecords(): Promise<string[]> {
  try {
    const { success, stdout } = await new Deno.Command("git", {
      args: ["ls-files", "--", "results/runs/*.json"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).output();
    if (success) {
      const files = new TextDecoder().decode(stdout).split("\n").filter((l) => l.length > 0);
      // Directly in results/runs only, as the report reads it.
      if (files.length > 0) {
        return files.filter((f) => !f.slice("results/runs/".length).includes("/"));
      }
    }
  } catch { /* no git: a source tarball */ }
  return [...Deno.readDirSync(join(ROOT, "results/runs"))]
    .filter((e) => e.isFile && e.name.endsWith(".json")).map((e) => `results/runs/${e.name}`);
}

Deno.test("LEADERBOARD.md regenerated from the committed records is the committed file", async () => {
  const runs = await Deno.makeTempDir({ prefix: "committed-runs-" });
  try {
    for (const file of await committedRecords()) {
      await Deno.copyFile(join(ROOT, file), join(runs, basename(file)));
    }
    const markdown = leaderboardMarkdown(await loadRecords(runs), { runsPath: "runs" });
    const committed = await Deno.readTextFile(join(ROOT, "results/LEADERBOARD.md"));
    strictEqual(markdown, committed, "rerun `deno task harness report` and commit the result");
  } finally {
    await Deno.remove(runs, { recursive: true });
  }
});
