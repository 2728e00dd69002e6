import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
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

/** A data root holding one task file with `text` (or its bytes); removed by the caller. */
function fakeRoot(folder: string, file: string, text: string | Uint8Array): string {
  const root = mkdtempSync(join(tmpdir(), "glue-"));
  mkdirSync(join(root, folder), { recursive: true });
  writeFileSync(join(root, folder, file), text);
  return root;
}

/** Check that loading `name`'s dev split under `root` fails with a DataError matching
 * `pattern`; return its message. Removes `root`. */
function failsWith(root: string, name: string, pattern: RegExp): string {
  try {
    loadGlue(root, glueTask(name), "dev");
  } catch (error) {
    assert.ok(error instanceof DataError, `not a DataError: ${error}`);
    assert.match(error.message, pattern);
    return error.message;
  } finally {
    rmSync(root, { recursive: true });
  }
  assert.fail("loaded without an error");
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

const STSB_HEADER =
  "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore";
const stsbRow = (score: string) => `0\tg\tf\ty\to\ts\ts\ta\tb\t${score}`;

Deno.test("STS-B gold scores outside [0, 5] or not in decimal notation are refused", () => {
  for (
    const [score, why] of [
      ["99", 'score "99" is outside \\[0, 5\\]'],
      ["-0.5", 'score "-0.5" is outside \\[0, 5\\]'],
      ["5.001", 'score "5.001" is outside \\[0, 5\\]'],
      ["0x3", 'score "0x3" is not a number'],
      ["0b1", 'score "0b1" is not a number'],
      ["Infinity", 'score "Infinity" is not a number'],
      ["1e999", 'score "1e999" is not a number'],
      ["1_0", 'score "1_0" is not a number'],
    ]
  ) {
    const root = fakeRoot("glue/STS-B", "dev.tsv", `${STSB_HEADER}\n${stsbRow(score)}\n`);
    failsWith(root, "glue/stsb", new RegExp(`dev\\.tsv" line 2: ${why}$`));
  }
});

Deno.test("STS-B gold scores 0, 5 and decimal forms within the range are read", () => {
  const scores = ["0", "5", "5.000", "2.5e0", ".5", "+1"];
  const root = fakeRoot(
    "glue/STS-B",
    "dev.tsv",
    [STSB_HEADER, ...scores.map((s, i) => stsbRow(s).replace(/^0/, String(i)))].join("\n"),
  );
  try {
    assert.deepEqual(loadGlue(root, glueTask("glue/stsb"), "dev").map((e) => e.label), scores);
  } finally {
    rmSync(root, { recursive: true });
  }
});

const RTE_ROWS =
  "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\tcafé\tb\tentailment\n";

/** `RTE_ROWS` as Latin-1 or UTF-16 bytes (the é on line 3), with a UTF-16 BOM if asked. */
function encoded(encoding: "latin1" | "utf16le", bom = false): Uint8Array {
  const body = new Uint8Array(Buffer.from(RTE_ROWS, encoding));
  return bom ? new Uint8Array([0xff, 0xfe, ...body]) : body;
}

Deno.test("a Latin-1 file is refused as not UTF-8, naming the file, offset and line", () => {
  // In Latin-1 every character is one byte, so the é's offset is its index in the text.
  const offset = RTE_ROWS.indexOf("é");
  failsWith(
    fakeRoot("glue/RTE", "dev.tsv", encoded("latin1")),
    "glue/rte",
    new RegExp(
      `^Cannot read GLUE file ".*glue/RTE/dev\\.tsv": not valid UTF-8 \\(byte 0xE9 at offset ` +
        `${offset}, line 3\\); save the file as UTF-8$`,
    ),
  );
});

Deno.test("a UTF-16 file is refused as not UTF-8, and the message holds no NUL bytes", () => {
  for (const bom of [true, false]) {
    const message = failsWith(
      fakeRoot("glue/RTE", "dev.tsv", encoded("utf16le", bom)),
      "glue/rte",
      /dev\.tsv": not (valid )?UTF-8.*UTF-16/,
    );
    assert.ok(!message.includes("\0"), "a raw NUL in the message");
  }
});

Deno.test("CR-only line endings are refused with a short message, not the whole file", () => {
  const rows = Array.from({ length: 50 }, (_, i) => `${i}\t${"word ".repeat(10)}\tb\tentailment`);
  const text = ["index\tsentence1\tsentence2\tlabel", ...rows].join("\r");
  const message = failsWith(
    fakeRoot("glue/RTE", "dev.tsv", text),
    "glue/rte",
    /dev\.tsv" line 1: a carriage return \(CR\) inside the line/,
  );
  assert.ok(message.length < 300, `${message.length} characters`);
});

Deno.test("quoted fields in errors are cut to 80 characters", () => {
  const long = "n".repeat(500);
  const header = "index\tquestion\tsentence\t" + long;
  const missing = fakeRoot("glue/QNLI", "dev.tsv", `${header}\n0\ta\tb\tentailment\n`);
  failsWith(
    missing,
    "glue/qnli",
    new RegExp(`\\(it has "index", "question", "sentence", "${"n".repeat(80)}…"\\)$`),
  );
  const label = fakeRoot(
    "glue/RTE",
    "dev.tsv",
    `index\tsentence1\tsentence2\tlabel\n0\ta\tb\t${long}\n`,
  );
  failsWith(label, "glue/rte", new RegExp(`line 2: label "${"n".repeat(80)}…" is not one of`));
});

Deno.test("a split absent beside the task's other splits is named, without blaming --data", () => {
  // The shared data has SST-2 train and dev but not test.
  assert.throws(() => loadGlue(ROOT, glueTask("glue/sst2"), "test"), (error: Error) => {
    assert.ok(error instanceof DataError);
    assert.match(
      error.message,
      /^glue\/sst2: ".*glue\/SST-2\/test\.tsv" is not in this copy of the data; its folder holds "dev\.tsv", "train\.tsv"/,
    );
    assert.doesNotMatch(error.message, /HARNESS_DATA/);
    return true;
  });
  assert.throws(
    () => loadGlue("/nonexistent/data", glueTask("glue/sst2"), "dev"),
    /^DataError: glue\/sst2: the data directory "\/nonexistent\/data" does not exist; set --data/,
  );
});
