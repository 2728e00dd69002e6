/**
 * The RACE reader: the original release layout, `race/<split>/{middle,high}/<n>.txt`, one
 * JSON object per file holding an article and its questions. Every question becomes one
 * `RaceQuestion`, in a fixed order (middle then high, files by number, questions as written)
 * so predictions and metrics can be aligned by position.
 */
import { join } from "node:path";
import {
  DATA_HINT,
  DataError,
  jsonSnippet,
  listDir,
  missingDataMessage,
  parseJsonObject,
  quoted,
  readTextSync,
  type Split,
} from "../task.ts";

/** The four answer labels, in option order. */
export const RACE_LABELS = ["A", "B", "C", "D"] as const;

/** One answer label. */
export type RaceLabel = typeof RACE_LABELS[number];

/** The two school levels; the loader reads middle first, as ALBERT's `race_utils.py` does. */
export const RACE_LEVELS = ["middle", "high"] as const;

/** One school level. */
export type RaceLevel = typeof RACE_LEVELS[number];

/** One multiple-choice question with its article. */
export interface RaceQuestion {
  /** The file's `"id"` field, e.g. `"high10024.txt"`; unique within a split. */
  articleId: string;
  level: RaceLevel;
  article: string;
  question: string;
  options: [string, string, string, string];
  answer: RaceLabel;
  /** Position of the question within its article, from 0. */
  questionIndex: number;
}

/** Whether a value is one of the labels A to D. */
export function isRaceLabel(value: unknown): value is RaceLabel {
  return typeof value === "string" && (RACE_LABELS as readonly string[]).includes(value);
}

/** The files of a split, relative to the data directory. */
const splitFiles = (split: Split) => RACE_LEVELS.map((level) => `race/${split}/${level}/<n>.txt`);

/** What the RACE task expects under `root`; `hint` adds how to point `--data` elsewhere. */
const layout = (root: string, split: Split, hint = true) =>
  `the RACE task expects this layout under ${JSON.stringify(root)}:\n` +
  splitFiles(split).map((f) => `  ${f}\n`).join("") +
  `(one JSON object per file: {"id", "article", "questions", "options", "answers"}` +
  (hint ? `; ${DATA_HINT})` : ")");

/** Numbers compare as numbers ("2.txt" before "10.txt"), so the order never depends on the OS. */
const natural = new Intl.Collator("en", { numeric: true }).compare;

/**
 * Read every question of a RACE split; throw a DataError naming the folder when the layout
 * is missing, or naming the file (and question) when a file is malformed.
 */
export function loadRace(root: string, split: Split): RaceQuestion[] {
  const questions: RaceQuestion[] = [];
  const seen = new Map<string, string>();
  for (const level of RACE_LEVELS) {
    const dir = join(root, "race", split, level);
    for (const file of listTxt(dir, root, split)) {
      const path = join(dir, file);
      const { id, parsed } = parseRaceFile(readText(path), path, level);
      // Predictions are keyed by article id, so two files with one id could not be scored.
      const other = seen.get(id);
      if (other !== undefined) {
        throw new DataError(
          `Cannot read RACE file "${path}": id ${quoted(id)} is also in "${other}"`,
        );
      }
      seen.set(id, path);
      // A file may hold no questions (two in the train set do); it then adds nothing.
      questions.push(...parsed);
    }
  }
  if (questions.length === 0) {
    throw new DataError(
      `Cannot load RACE ${split}: no questions in "${join(root, "race", split)}"; ${
        layout(root, split)
      }`,
    );
  }
  return questions;
}

function listTxt(dir: string, root: string, split: Split): string[] {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".txt"))
      .map((e) => e.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new DataError(
        `Cannot load RACE ${split}: cannot list folder "${dir}"; ${layout(root, split)}`,
      );
    }
    throw new DataError(missingFolder(dir, root, split));
  }
  return names.sort(natural);
}

/**
 * Why a level folder is missing: with its split's folder there, the layout (`--data` is right);
 * else `missingDataMessage` on the split's folder: the data directory, a split absent beside
 * others, or the layout with the `--data` hint.
 */
function missingFolder(dir: string, root: string, split: Split): string {
  const task = `Cannot load RACE ${split}`;
  const splitDir = join(root, "race", split);
  if (listDir(splitDir) !== undefined) {
    return `${task}: missing folder "${dir}"; ${layout(root, split, false)}`;
  }
  return missingDataMessage(root, task, [splitDir], splitFiles(split), layout(root, split));
}

function readText(path: string): string {
  return readTextSync(path, (why) => {
    throw new DataError(`Cannot read RACE file "${path}": ${why}`);
  });
}

/** Check one file's JSON and flatten it into questions, naming the file in every error. */
function parseRaceFile(
  text: string,
  path: string,
  level: RaceLevel,
): { id: string; parsed: RaceQuestion[] } {
  const fail = (why: string): never => {
    throw new DataError(`Cannot read RACE file "${path}": ${why}`);
  };
  const record = parseJsonObject(text, fail, "expected one JSON object");
  for (const key of ["id", "article", "questions", "options", "answers"]) {
    if (!(key in record)) fail(`missing field "${key}"`);
  }
  const { id, article, questions, options, answers } = record;
  if (typeof id !== "string" || id === "") fail(`field "id" is not a non-empty string`);
  if (typeof article !== "string") fail(`field "article" is not a string`);
  for (
    const [key, value] of [["questions", questions], ["options", options], ["answers", answers]]
  ) {
    if (!Array.isArray(value)) fail(`field "${key}" is not an array`);
  }
  const qs = questions as unknown[];
  const opts = options as unknown[];
  const ans = answers as unknown[];
  if (qs.length !== opts.length || qs.length !== ans.length) {
    fail(
      `${qs.length} questions, ${opts.length} option lists and ${ans.length} answers ` +
        `(expected equal counts)`,
    );
  }
  const parsed = qs.map((question, i): RaceQuestion => {
    const where = `question ${i + 1}`;
    if (typeof question !== "string") fail(`${where}: question is not a string`);
    const four = opts[i];
    if (!Array.isArray(four) || four.length !== 4) {
      fail(`${where}: expected 4 options, got ${Array.isArray(four) ? four.length : "no list"}`);
    }
    if (!(four as unknown[]).every((o) => typeof o === "string")) {
      fail(`${where}: an option is not a string`);
    }
    if (!isRaceLabel(ans[i])) {
      fail(`${where}: answer ${jsonSnippet(ans[i])} is not A, B, C or D`);
    }
    return {
      articleId: id as string,
      level,
      article: article as string,
      question: question as string,
      options: four as [string, string, string, string],
      answer: ans[i] as RaceLabel,
      questionIndex: i,
    };
  });
  return { id: id as string, parsed };
}
