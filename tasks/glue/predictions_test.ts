import assert from "node:assert/strict";
import { PredictionsError } from "../task.ts";
import type { GlueExample } from "./load.ts";
import { formatGluePredictions, parseGluePredictions } from "./predictions.ts";
import { glueTask } from "./tasks.ts";

const rte = glueTask("glue/rte");
const examples: GlueExample[] = Array.from({ length: 8 }, (_, i) => ({ index: i, textA: "t" }));
const labels = ["entailment", "not_entailment"];
const rows = examples.map((e) => ({ index: e.index, prediction: labels[e.index % 2] }));

function fails(text: string, pattern: RegExp) {
  assert.throws(() => parseGluePredictions(text, "out/RTE.tsv", rte, examples), (error: Error) => {
    assert.ok(error instanceof PredictionsError, `not a PredictionsError: ${error}`);
    assert.match(error.message, /^Cannot read predictions "out\/RTE\.tsv"/);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("format writes the GLUE submission format", () => {
  const text = formatGluePredictions(rte, rows.slice(0, 2));
  assert.equal(text, "index\tprediction\n0\tentailment\n1\tnot_entailment\n");
});

Deno.test("format then parse gives the predictions back, aligned by index", () => {
  const shuffled = [...rows].reverse();
  assert.deepEqual(
    parseGluePredictions(formatGluePredictions(rte, shuffled), "p", rte, examples),
    rows.map((r) => r.prediction),
  );
});

Deno.test("the header is optional and CRLF is accepted", () => {
  const text = rows.map((r) => `${r.index}\t${r.prediction}\r\n`).join("");
  assert.deepEqual(parseGluePredictions(text, "p", rte, examples), rows.map((r) => r.prediction));
});

Deno.test("STS-B predictions are floats that round-trip", () => {
  const stsb = glueTask("glue/stsb");
  const values = [0.1 + 0.2, 5.25, -0.5, 1e-7];
  const few = values.map((_, i) => ({ index: i, textA: "t" }));
  const text = formatGluePredictions(
    stsb,
    values.map((x, index) => ({ index, prediction: String(x) })),
  );
  assert.deepEqual(parseGluePredictions(text, "p", stsb, few).map(Number), values);
  assert.throws(() => formatGluePredictions(stsb, [{ index: 0, prediction: "high" }]), /"high"/);
});

Deno.test("format refuses a label the task does not have", () => {
  assert.throws(
    () => formatGluePredictions(rte, [{ index: 3, prediction: "neutral" }]),
    /index 3: label "neutral" is not one of "entailment", "not_entailment"/,
  );
});

Deno.test("an index not in the data names the line", () => {
  fails(
    formatGluePredictions(rte, [...rows, { index: 8, prediction: "entailment" }]),
    /line 10: index 8 is not in the glue\/rte data/,
  );
});

Deno.test("a duplicate index names both lines", () => {
  fails(formatGluePredictions(rte, [...rows, rows[2]]), /line 10: index 2 is also on line 4$/);
});

Deno.test("missing indices are counted and the first five listed", () => {
  fails(
    formatGluePredictions(rte, rows.filter((r) => r.index % 4 !== 3)),
    /: 2 of 8 glue\/rte examples have no prediction \(indices 3, 7\)$/,
  );
  fails(
    formatGluePredictions(rte, rows.filter((r) => r.index !== 2 && r.index < 6)),
    /: 3 of 8 .* \(indices 2, 6, 7\)$/,
  );
  fails(formatGluePredictions(rte, rows.slice(1)), /: 1 of 8 .* \(indices 0\)$/);
  fails("", /: 8 of 8 .* \(indices 0, 1, 2, 3, 4, …\)$/);
});

Deno.test("predictions of exactly the first N examples suggest --limit N", () => {
  fails(
    formatGluePredictions(rte, rows.slice(0, 2)),
    /: 6 of 8 glue\/rte examples have no prediction \(indices 2, 3, 4, 5, 6, …\); the predictions cover exactly the first 2 examples: if they come from "eval --limit 2", score with --limit 2$/,
  );
  // In any line order: the hint is about which examples, not where they are in the file.
  fails(formatGluePredictions(rte, rows.slice(0, 7).reverse()), /--limit 7$/);
});

Deno.test("CR-only line endings and long lines give short messages", () => {
  const text = formatGluePredictions(rte, rows).replaceAll("\n", "\r");
  fails(text, /line 1: a carriage return \(CR\) inside the line/);
  const long = "0 " + "entailment ".repeat(50);
  fails(
    long,
    new RegExp(`line 1: expected "index<TAB>prediction", found "${long.slice(0, 80)}…"$`),
  );
});

Deno.test("an unknown label names the line and the valid labels", () => {
  const text = formatGluePredictions(rte, rows).replace("3\tnot_entailment", "3\tneutral");
  fails(text, /line 5: label "neutral" is not one of "entailment", "not_entailment"$/);
});

Deno.test("malformed lines name the line", () => {
  fails(
    "index\tprediction\n0 entailment\n",
    /line 2: expected "index<TAB>prediction", found "0 entailment"$/,
  );
  fails("0\tentailment\textra\n", /line 1: expected/);
  fails("-1\tentailment\n", /line 1: expected/);
  fails("0\tentailment\n\n1\tentailment\n", /line 2: expected/);
});
