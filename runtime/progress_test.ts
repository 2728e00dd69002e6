/** The plain-line progress display (CI logs): counts, percent, rate and ETA. */
import { deepStrictEqual, match, strictEqual } from "node:assert/strict";
import { createProgress, formatEta } from "./progress.ts";

function plain(total: number, initial?: number) {
  const lines: string[] = [];
  const progress = createProgress({
    label: "t",
    total,
    initial,
    unit: "rows",
    interactive: false,
    minIntervalMs: 60_000,
    write: (line) => lines.push(line),
  });
  return { progress, lines };
}

Deno.test("formatEta: seconds, minutes and hours, and -- when unknown", () => {
  deepStrictEqual(
    [0, 59.4, 65.2, 3600, 7325, Infinity, -1].map(formatEta),
    ["0s", "59s", "1m05s", "1h00m", "2h02m", "--", "--"],
  );
});

Deno.test("plain lines: the first step, then only the last one within the interval", () => {
  const { progress, lines } = plain(4);
  progress.increment();
  progress.increment(2);
  progress.increment();
  progress.stop();
  strictEqual(lines.length, 2);
  match(lines[0], /^t: 1\/4 \(25%\) \| [\d.]+ rows\/s \| ETA \d+s$/);
  match(lines[1], /^t: 4\/4 \(100%\) \| [\d.]+ rows\/s \| ETA 0s$/);
});

Deno.test("resumed steps count as done but not into the rate", () => {
  // Everything resumed: no new work, so no rate and no ETA (not 90 rows in no time).
  const resumed = plain(90, 90);
  resumed.progress.stop();
  deepStrictEqual(resumed.lines, ["t: 90/90 (100%) | 0.00 rows/s | ETA --"]);
  // Half resumed, nothing new yet: the rate is unknown, not 45 rows in no time.
  const half = plain(90, 45);
  half.progress.stop();
  deepStrictEqual(half.lines, ["t: 45/90 (50%) | 0.00 rows/s | ETA --"]);
});

Deno.test("silent prints nothing", () => {
  const lines: string[] = [];
  const progress = createProgress({
    label: "t",
    total: 2,
    silent: true,
    write: (l) => lines.push(l),
  });
  progress.increment(2);
  progress.stop();
  deepStrictEqual(lines, []);
});
