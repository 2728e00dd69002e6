import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataError } from "../task.ts";
import { loadGlue } from "./load.ts";
import { glueTask } from "./tasks.ts";

const ROOT = fileURLToPath(new URL("../../../shared/data/", import.meta.url));

/** Row counts of `../shared/data/README.md`; CoLA train and the test splits as in the files. */
const COUNTS: [string, "train" | "dev" | "test", number][] = [
  ["glue/cola", "dev", 1043],
  ["glue/sst2", "dev", 872],
  ["glue/mrpc", "dev", 408],
  ["glue/stsb", "dev", 1500],
  ["glue/qqp", "dev", 40430],
  ["glue/mnli-m", "dev", 9815],
  ["glue/mnli-mm", "dev", 9832],
  ["glue/qnli", "dev", 5463],
  ["glue/rte", "dev", 277],
  ["glue/wnli", "dev", 71],
  ["glue/ax", "dev", 1104],
  ["glue/sst2", "train", 67349],
  ["glue/mrpc", "train", 3668],
  ["glue/stsb", "train", 5749],
  ["glue/rte", "train", 2490],
  ["glue/wnli", "train", 635],
  ["glue/cola", "train", 8551],
  ["glue/cola", "test", 1063],
  ["glue/mrpc", "test", 1725],
  ["glue/rte", "test", 3000],
  ["glue/wnli", "test", 146],
];

for (const [name, split, rows] of COUNTS) {
  Deno.test(`${name} ${split} has ${rows} rows with valid fields`, () => {
    const task = glueTask(name);
    const examples = loadGlue(ROOT, task, split);
    assert.equal(examples.length, rows);
    const labelled = task.splits[split]!.label !== undefined;
    examples.forEach((e, i) => {
      assert.equal(e.index, i);
      assert.ok(e.textA.length > 0 && !e.textA.endsWith("\r"), `${name} ${i} textA`);
      assert.equal(e.textB === undefined, task.splits[split]!.textB === undefined);
      assert.ok(!e.textB?.endsWith("\r"), `${name} ${i} textB keeps a CR`);
      assert.equal(e.label === undefined, !labelled);
    });
    if (labelled && !task.regression) {
      // Every class occurs, so no column was mistaken for the label.
      assert.deepEqual(new Set(examples.map((e) => e.label)), new Set(task.labels));
    }
  });
}

Deno.test("first rows read the right columns", () => {
  const cola = loadGlue(ROOT, glueTask("glue/cola"), "dev")[0];
  assert.deepEqual(cola, {
    index: 0,
    textA: "The sailors rode the breeze clear of the rocks.",
    label: "1",
  });
  const mrpc = loadGlue(ROOT, glueTask("glue/mrpc"), "dev")[0];
  assert.equal(mrpc.label, "1");
  assert.match(mrpc.textA, /^He said the foodservice pie business/);
  assert.match(mrpc.textB!, /^"The foodservice pie business does not fit/);
  assert.equal(loadGlue(ROOT, glueTask("glue/stsb"), "dev")[0].label, "5.000");
  assert.deepEqual(loadGlue(ROOT, glueTask("glue/ax"), "dev")[0], {
    index: 0,
    textA: "The cat sat on the mat.",
    textB: "The cat did not sit on the mat.",
    label: "contradiction",
  });
  assert.deepEqual(loadGlue(ROOT, glueTask("glue/cola"), "test")[0], {
    index: 0,
    textA: "Bill whistled past the house.",
  });
});

/** A data root holding one task file with `text`; removed by the caller. */
function fakeRoot(folder: string, file: string, text: string): string {
  const root = mkdtempSync(join(tmpdir(), "glue-"));
  mkdirSync(join(root, folder), { recursive: true });
  writeFileSync(join(root, folder, file), text);
  return root;
}

function failsWith(root: string, name: string, pattern: RegExp) {
  try {
    assert.throws(() => loadGlue(root, glueTask(name), "dev"), (error: Error) => {
      assert.ok(error instanceof DataError, `not a DataError: ${error}`);
      assert.match(error.message, pattern);
      return true;
    });
  } finally {
    rmSync(root, { recursive: true });
  }
}

Deno.test("a row with too few columns names the file and line", () => {
  const text = "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\ta\tb\n";
  const root = fakeRoot("glue/RTE", "dev.tsv", text);
  failsWith(
    root,
    "glue/rte",
    /^Cannot read GLUE file ".*glue\/RTE\/dev\.tsv" line 3: expected at least 4 tab-separated columns, found 3$/,
  );
});

Deno.test("an unknown label names the file, line and valid labels", () => {
  const root = fakeRoot("glue/CoLA", "dev.tsv", "gj04\t1\t\tOk.\r\ngj04\t2\t\tBad.\r\n");
  failsWith(root, "glue/cola", /dev\.tsv" line 2: label "2" is not one of "0", "1"$/);
});

Deno.test("an unparsable STS-B score names the file and line", () => {
  const header =
    "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore";
  const root = fakeRoot("glue/STS-B", "dev.tsv", `${header}\n0\tg\tf\ty\to\ts\ts\ta\tb\t\n`);
  failsWith(root, "glue/stsb", /dev\.tsv" line 2: score "" is not a number$/);
});

Deno.test("a header without the label column is refused", () => {
  const root = fakeRoot("glue/QNLI", "dev.tsv", "\ufeffindex\tquestion\tsentence\n0\ta\tb\n");
  failsWith(
    root,
    "glue/qnli",
    /line 1: no column "label" in the header \(it has "index", "question", "sentence"\)$/,
  );
});

Deno.test("an empty file and a header-only file are refused, not scored as 0 examples", () => {
  failsWith(
    fakeRoot("glue/RTE", "dev.tsv", ""),
    "glue/rte",
    /dev\.tsv" line 1: the file is empty$/,
  );
  failsWith(
    fakeRoot("glue/RTE", "dev.tsv", "index\tsentence1\tsentence2\tlabel\n"),
    "glue/rte",
    /dev\.tsv" line 1: the file has a header but no data rows$/,
  );
});

Deno.test("a BOM, CRLF and a missing final newline are accepted", () => {
  const root = fakeRoot(
    "glue/QNLI",
    "dev.tsv",
    "\ufeffindex\tquestion\tsentence\tlabel\r\n0\ta\tb\tentailment",
  );
  try {
    assert.deepEqual(loadGlue(root, glueTask("glue/qnli"), "dev"), [
      { index: 0, textA: "a", textB: "b", label: "entailment" },
    ]);
  } finally {
    rmSync(root, { recursive: true });
  }
});

Deno.test("a missing folder lists the files the task expects", () => {
  const root = mkdtempSync(join(tmpdir(), "glue-"));
  failsWith(root, "glue/mnli-mm", /glue\/MNLI\/dev_mismatched\.tsv[\s\S]*--data DIR/);
});

Deno.test("a split the task lacks is named", () => {
  assert.throws(
    () => loadGlue(ROOT, glueTask("glue/ax"), "train"),
    /GLUE task "glue\/ax" has no train split; it has dev, test$/,
  );
});
