/**
 * The SQuAD reader: the official JSON schema (v1.1 and v2.0),
 * `{version, data: [{title, paragraphs: [{context, qas: [{id, question, answers, is_impossible?}]}]}]}`.
 * Every question becomes one `SquadExample`, in file order, so the scorer walks questions in
 * the same order as the official scripts do (which matters for its float sums and tie order).
 */
import { DataError, quoted, readTextSync } from "../task.ts";

/** Which SQuAD release (and official scorer): the v1.1 file has `"version": "1.1"`, v2.0 `"v2.0"`. */
export type SquadVersion = "v1.1" | "v2.0";

/** One question with its paragraph. */
export interface SquadExample {
  /** The question id, unique in the file; predictions are keyed by it. */
  id: string;
  /** The article title. */
  title: string;
  /** The paragraph the answer spans are taken from. */
  context: string;
  /** The question text as given. */
  question: string;
  /** Gold answer texts in file order (duplicates kept); empty for a v2.0 unanswerable question. */
  answers: string[];
  /** `is_impossible` (v2.0); false when the field is absent (v1.1). */
  isImpossible: boolean;
}

/** A parsed SQuAD file. */
export interface SquadDataset {
  /** The file's `version` field, e.g. `"1.1"` or `"v2.0"`. */
  version: string;
  examples: SquadExample[];
  /** The parsed JSON as read, for tools that need fields the loader does not keep. */
  raw: unknown;
}

/**
 * Read and validate an official SQuAD JSON file; a DataError names the file and question. With
 * `release`, the file must be that release (see `parseSquad`).
 */
export function loadSquad(file: string, release?: SquadVersion): SquadDataset {
  const fail = (why: string): never => {
    throw new DataError(`Cannot read SQuAD file "${file}": ${why}`);
  };
  const text = readTextSync(file, fail);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`invalid JSON (${messageOf(error)})`);
  }
  return parseSquad(json, file, release);
}

/**
 * Validate parsed SQuAD JSON; `file` only names the source in error messages. With `release`,
 * the top-level `"version"` must be that release (with or without its "v"), and for v1.1 every
 * question must have an answer: the v1.1 scorer takes the best score over them, so a question
 * without one could only fail after a whole evaluation.
 */
export function parseSquad(json: unknown, file = "<memory>", release?: SquadVersion): SquadDataset {
  const fail = (where: string, what: string): never => {
    throw new DataError(`Cannot read SQuAD file "${file}": ${where}${what}`);
  };
  if (!isObject(json)) fail("", "expected a JSON object at the top level");
  const top = json as Record<string, unknown>;
  if (typeof top.version !== "string") fail("", `expected a "version" string`);
  const version = top.version as string;
  if (release !== undefined && version.replace(/^v/, "") !== release.slice(1)) {
    fail(
      "",
      `its "version" is ${quoted(version)}, but squad/${release} reads SQuAD ${release} data ` +
        `("version": "${release === "v1.1" ? "1.1" : "v2.0"}"); check the file or the task`,
    );
  }
  if (!Array.isArray(top.data)) fail("", `expected a "data" array`);

  const examples: SquadExample[] = [];
  const seen = new Map<string, string>();
  (top.data as unknown[]).forEach((article, a) => {
    const at = `data[${a}]`;
    if (!isObject(article)) fail(`${at}: `, "expected an object");
    const { title, paragraphs } = article as Record<string, unknown>;
    if (typeof title !== "string") fail(`${at}: `, `expected a "title" string`);
    if (!Array.isArray(paragraphs)) fail(`${at}: `, `expected a "paragraphs" array`);
    (paragraphs as unknown[]).forEach((paragraph, p) => {
      const pat = `${at}.paragraphs[${p}]`;
      if (!isObject(paragraph)) fail(`${pat}: `, "expected an object");
      const { context, qas } = paragraph as Record<string, unknown>;
      if (typeof context !== "string") fail(`${pat}: `, `expected a "context" string`);
      if (!Array.isArray(qas)) fail(`${pat}: `, `expected a "qas" array`);
      (qas as unknown[]).forEach((qa, q) => {
        const qat = `${pat}.qas[${q}]`;
        const example = parseQuestion(qa, (what) => fail(`${qat}: `, what));
        if (release === "v1.1" && example.answers.length === 0) {
          fail(
            `${qat}: `,
            `question ${quoted(example.id)} has no answers; every SQuAD v1.1 question has ` +
              `at least one (unanswerable questions are v2.0, scored by squad/v2.0)`,
          );
        }
        // Predictions are a map keyed by id, so two questions with one id could not be scored.
        const other = seen.get(example.id);
        if (other !== undefined) fail(`${qat}: `, `id ${quoted(example.id)} is also at ${other}`);
        seen.set(example.id, qat);
        examples.push({ ...example, title: title as string, context: context as string });
      });
    });
  });
  // An empty dataset would score as 0 questions and look like a finished run.
  if (examples.length === 0) fail("", `no questions under "data"`);
  return { version, examples, raw: json };
}

function parseQuestion(
  qa: unknown,
  fail: (what: string) => never,
): Omit<SquadExample, "title" | "context"> {
  if (!isObject(qa)) fail("expected an object");
  const { id, question, answers, is_impossible } = qa as Record<string, unknown>;
  if (typeof id !== "string") fail(`expected an "id" string`);
  // From here on the message names the question by id as well as by position.
  const failId = (what: string) => fail(`question ${quoted(id as string)}: ${what}`);
  if (typeof question !== "string") failId(`expected a "question" string`);
  if (!Array.isArray(answers)) failId(`expected an "answers" array`);
  if (is_impossible !== undefined && typeof is_impossible !== "boolean") {
    failId(`expected "is_impossible" to be true or false`);
  }
  const texts = (answers as unknown[]).map((answer, i) => {
    if (!isObject(answer)) return failId(`answers[${i}]: expected an object`);
    const { text, answer_start } = answer as Record<string, unknown>;
    if (typeof text !== "string") failId(`answers[${i}]: expected a "text" string`);
    if (typeof answer_start !== "number") {
      failId(`answers[${i}]: expected an "answer_start" number`);
    }
    return text as string;
  });
  // The scorers decide answerable by `answers` alone; a flag that says otherwise is a broken file.
  if (is_impossible === true && texts.length > 0) {
    failId(`"is_impossible" is true but it has ${texts.length} answers`);
  }
  if (is_impossible === false && texts.length === 0) {
    failId(`"is_impossible" is false but it has no answers`);
  }
  return {
    id: id as string,
    question: question as string,
    answers: texts,
    isImpossible: (is_impossible as boolean | undefined) ?? false,
  };
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
