import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DataError,
  decodeText,
  limitHint,
  PredictionsError,
  quoted,
  quoteSome,
  readPredictions,
  readTextSync,
  requireFiles,
} from "./task.ts";

const fail = (why: string): never => {
  throw new Error(why);
};

/** The message `decodeText` gives for `bytes`. */
function decodeError(bytes: number[]): string {
  try {
    decodeText(new Uint8Array(bytes), fail);
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail("decoded without an error");
}

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

Deno.test("UTF-8 with a BOM and CRLF decodes, the BOM dropped", () => {
  const bytes = [0xef, 0xbb, 0xbf, ...ascii("a\tb\r\n"), 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80];
  assert.equal(decodeText(new Uint8Array(bytes), fail), "a\tb\r\n\u00e9\u{1f600}");
});

Deno.test("Latin-1 text is not valid UTF-8, with the offset and line of the first bad byte", () => {
  // "ab\ncafé x": é is the single byte E9 in Latin-1, at offset 6 on line 2.
  assert.equal(
    decodeError([...ascii("ab\ncaf"), 0xe9, ...ascii(" x")]),
    "not valid UTF-8 (byte 0xE9 at offset 6, line 2); save the file as UTF-8",
  );
});

Deno.test("the offset is the start of the first ill-formed sequence", () => {
  const at = (bytes: number[]) => decodeError(bytes).match(/byte 0x(\w\w) at offset (\d+)/)!;
  // Overlong "/" (C0 AF), a surrogate (ED A0 80), above U+10FFFF (F4 90 80 80), a lone
  // continuation byte, and a sequence cut off by the end of the file.
  assert.deepEqual([...at([0x61, 0xc0, 0xaf])].slice(1), ["C0", "1"]);
  assert.deepEqual([...at([0x61, 0x62, 0xed, 0xa0, 0x80])].slice(1), ["ED", "2"]);
  assert.deepEqual([...at([0xc3, 0xa9, 0xf4, 0x90, 0x80, 0x80])].slice(1), ["F4", "2"]);
  assert.deepEqual([...at([0x61, 0x80])].slice(1), ["80", "1"]);
  assert.deepEqual([...at([0x61, 0x62, 0x63, 0xe2, 0x82])].slice(1), ["E2", "3"]);
  // A real U+FFFD (EF BF BD) before the bad byte, and a BOM, count as the bytes they are.
  assert.deepEqual([...at([0xef, 0xbf, 0xbd, 0x61, 0xff])].slice(1), ["FF", "4"]);
  assert.deepEqual([...at([0xef, 0xbb, 0xbf, 0xc3, 0xa9, 0xe9])].slice(1), ["E9", "5"]);
});

Deno.test("UTF-16 is refused by its byte-order mark, or by its NUL bytes without one", () => {
  assert.match(decodeError([0xff, 0xfe, 0x61, 0x00]), /UTF-16 byte-order mark/);
  assert.match(decodeError([0xfe, 0xff, 0x00, 0x61]), /UTF-16 byte-order mark/);
  // "ab\n" in UTF-16LE: the first NUL is byte 1.
  assert.equal(
    decodeError([0x61, 0x00, 0x62, 0x00, 0x0a, 0x00]),
    "not UTF-8 text: a NUL byte at offset 1, line 1 (UTF-16 text?); save the file as UTF-8",
  );
});

Deno.test("readTextSync and readPredictions name the file in their own error", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const file = join(dir, "latin1.tsv");
    Deno.writeFileSync(file, new Uint8Array([...ascii("0\tcaf"), 0xe9, 0x0a]));
    assert.throws(
      () => readTextSync(file, (why) => fail(`"${file}": ${why}`)),
      new Error(
        `"${file}": not valid UTF-8 (byte 0xE9 at offset 5, line 1); save the file as UTF-8`,
      ),
    );
    await assert.rejects(readPredictions(file), (error: Error) => {
      assert.ok(error instanceof PredictionsError);
      assert.equal(
        error.message,
        `Cannot read predictions "${file}": not valid UTF-8 (byte 0xE9 at offset 5, line 1); ` +
          "save the file as UTF-8",
      );
      return true;
    });
    await assert.rejects(readPredictions(join(dir, "none")), /none": file not found$/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("quoted text is cut after 80 characters and never carries control characters", () => {
  const long = "x".repeat(200);
  assert.equal(quoted(long), `"${"x".repeat(80)}…"`);
  assert.equal(quoted("x".repeat(80)), `"${"x".repeat(80)}"`);
  assert.equal(quoted('a\u0000b\rc\t"d'), '"a\\u0000b\\rc\\t\\"d"');
  // A pair cut in half would print as an escape; the cut moves before it.
  assert.equal(quoted("x".repeat(79) + "\u{1f600}yy"), `"${"x".repeat(79)}…"`);
  assert.equal(quoteSome(["a", "b"]), '"a", "b"');
  const twelve = Array.from({ length: 12 }, (_, i) => String(i));
  assert.equal(
    quoteSome(twelve),
    '"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", … (12 in all)',
  );
});

Deno.test("the --limit hint is given only when exactly a first part is predicted", () => {
  assert.equal(
    limitHint([true, true, false, false], "examples"),
    '; the predictions cover exactly the first 2 examples: if they come from "eval --limit 2", ' +
      "score with --limit 2",
  );
  assert.equal(
    limitHint([true, false], "questions", "sentence"),
    'The predictions cover exactly the first 1 questions: if they come from "eval --limit 1", ' +
      "score with --limit 1",
  );
  for (const form of ["clause", "sentence"] as const) {
    assert.equal(limitHint([true, false, true], "examples", form), "");
    assert.equal(limitHint([false, true], "examples", form), "");
    assert.equal(limitHint([false, false], "examples", form), "");
    assert.equal(limitHint([true, true], "examples", form), "");
  }
});

/** The DataError message of `requireFiles`. */
function missingMessage(root: string, files: string[]): string {
  try {
    requireFiles(root, "glue/sst2", files);
  } catch (error) {
    assert.ok(error instanceof DataError, `not a DataError: ${error}`);
    return error.message;
  }
  assert.fail("no error");
}

Deno.test("a missing data directory is named first", () => {
  const message = missingMessage("/nonexistent/data", ["glue/SST-2/test.tsv"]);
  assert.equal(
    message,
    'glue/sst2: the data directory "/nonexistent/data" does not exist; set --data DIR or ' +
      "HARNESS_DATA to the folder holding glue/, squad/ and race/ " +
      "(the task reads glue/SST-2/test.tsv there)",
  );
});

Deno.test("a split's file absent beside the task's other splits does not blame --data", () => {
  const root = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(join(root, "glue/SST-2"), { recursive: true });
    Deno.writeTextFileSync(join(root, "glue/SST-2/train.tsv"), "");
    Deno.writeTextFileSync(join(root, "glue/SST-2/dev.tsv"), "");
    const message = missingMessage(root, ["glue/SST-2/test.tsv"]);
    assert.equal(
      message,
      `glue/sst2: "${join(root, "glue/SST-2/test.tsv")}" is not in this copy of the data; ` +
        `its folder holds "dev.tsv", "train.tsv" ` +
        `(\`deno task harness tasks --data ${root}\` lists the splits found)`,
    );
    // Without the task's folder the data directory may be the wrong one: say how to set it.
    const other = missingMessage(root, ["glue/RTE/dev.tsv"]);
    assert.match(other, /^glue\/sst2: missing .*glue\/RTE\/dev\.tsv; the task expects/);
    assert.match(other, /\(set --data DIR or HARNESS_DATA/);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
