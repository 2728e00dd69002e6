/**
 * Finished units of an interrupted run (eval batches, bench models, GEMM
 * shapes), kept on disk so a rerun with the same inputs skips them. One JSON
 * line per unit after a header line holding a key (a hash of everything that
 * decides the results); a file with another key is started afresh. A torn
 * last line (the process was killed while writing) is dropped when the file
 * is reopened, and the file is rewritten without it. Any other line that
 * cannot be read back (edited, or damaged on disk) is dropped too, with a
 * warning naming it, and only its unit is redone: every unit is a pure
 * function of the key, so redoing one costs time, never correctness.
 *
 * `UnitStore.read` reads a finished file (a shard's logits for `merge`)
 * strictly instead: nothing there can be redone, so any flaw is an error.
 */
import { writeAtomic } from "./files.ts";

interface StoredUnit {
  unit: string;
  value: unknown;
}

/**
 * How a unit's value is kept on disk: `encode` gives its JSON form and
 * `decode` reads it back, throwing on a value it rejects (its message says
 * what is wrong); `unit`, when given, says which unit names are valid, and
 * `noun` what a unit is in messages ("batch"; default "unit").
 */
export interface UnitCodec<T> {
  encode(value: T): unknown;
  decode(stored: unknown): T;
  unit?: RegExp;
  noun?: string;
}

const asStored = { encode: (value: unknown) => value, decode: (stored: unknown) => stored };

/** One line of a unit file read back: its unit and value, or why it was rejected. */
type ParsedLine<T> = { unit: string; value: T } | { problem: string };

function parseLine<T>(line: string, codec: UnitCodec<T>): ParsedLine<T> {
  let entry: StoredUnit;
  try {
    entry = JSON.parse(line);
  } catch {
    return { problem: "is not JSON" };
  }
  if (typeof entry !== "object" || entry === null || typeof entry.unit !== "string") {
    return { problem: `is not a {"unit", "value"} entry` };
  }
  if (codec.unit && !codec.unit.test(entry.unit)) {
    return { problem: `names no valid unit (${JSON.stringify(entry.unit)})` };
  }
  try {
    return { unit: entry.unit, value: codec.decode(entry.value) };
  } catch (error) {
    return { problem: `(${codec.noun ?? "unit"} ${entry.unit}): ${(error as Error).message}` };
  }
}

/** The header's key, or undefined when the first line is no header. */
function headerKey(line: string | undefined): string | undefined {
  try {
    const header = JSON.parse(line ?? "");
    return typeof header?.key === "string" ? header.key : undefined;
  } catch {
    return undefined;
  }
}

/** An append-only store of finished units, keyed by unit name. */
export class UnitStore<T> {
  readonly finished = new Map<string, T>();
  /** The 1-based line of each unit's entry (the last one when a unit was redone). */
  private readonly lines = new Map<string, number>();

  private constructor(
    readonly path: string,
    readonly key: string,
    private readonly codec: UnitCodec<T>,
  ) {}

  /**
   * Open `path`, keeping its units when its key equals `key`; a line that
   * cannot be read back is dropped (with a warning unless it is a torn last
   * line) and its unit redone.
   */
  static async open<T = unknown>(
    path: string,
    key: string,
    codec: UnitCodec<T> = asStored as UnitCodec<T>,
  ): Promise<UnitStore<T>> {
    const store = new UnitStore<T>(path, key, codec);
    let text: string | undefined;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const lines = text?.split("\n") ?? [];
    const kept = [JSON.stringify({ key })];
    if (headerKey(lines[0]) === key) kept.push(...store.load(lines, false));
    // Rewritten whole when it is new or lost lines (another key, a torn tail), so a later
    // append never lands on the tail of a torn line; an intact file is only read.
    const whole = kept.map((l) => l + "\n").join("");
    if (text !== whole) await writeAtomic(path, whole);
    return store;
  }

  /**
   * Read the finished file `path`, whose key must be `key`, without writing
   * it: a missing file, another key or any line that cannot be read back
   * (a short last line included) throws an error naming the file and line.
   */
  static async read<T>(path: string, key: string, codec: UnitCodec<T>): Promise<UnitStore<T>> {
    let text: string;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new Error(`${path} is missing`);
      throw new Error(`Cannot read ${path}: ${(error as Error).message}`);
    }
    const lines = text.split("\n");
    const found = headerKey(lines[0]);
    if (found === undefined) throw new Error(`${path} line 1 is not a {"key"} header`);
    if (found !== key) {
      throw new Error(
        `${path} belongs to another run (its key ${found.slice(0, 12)}… is not ${
          key.slice(0, 12)
        }…)`,
      );
    }
    const store = new UnitStore<T>(path, key, codec);
    store.load(lines, true);
    return store;
  }

  /**
   * Take the units of a file's `lines` after its header; the lines kept.
   * Unless `strict`, a line that cannot be read back is dropped with a
   * warning (silently when it is the torn last line) and its unit redone;
   * when `strict`, it throws, as does any last line (it lacks its newline).
   * Each unit's line is that of its entry in the file as it stays: as read
   * when `strict`, else as rewritten (the header, then the lines kept).
   */
  private load(lines: string[], strict: boolean): string[] {
    const kept: string[] = [];
    // The text after the last newline is a line the process was killed while writing.
    const tornAt = lines.length - 1;
    for (const [i, line] of lines.entries()) {
      if (i === 0 || line.trim() === "") continue;
      const parsed: ParsedLine<T> = strict && i === tornAt
        ? { problem: "is cut short (no newline): a partial copy?" }
        : parseLine(line, this.codec);
      if ("problem" in parsed) {
        const where = `${this.path} line ${i + 1} ${parsed.problem}`;
        if (strict) throw new Error(where);
        if (i !== tornAt) console.error(`warning: ${where}; dropped, so that work is redone`);
        continue;
      }
      this.finished.set(parsed.unit, parsed.value);
      kept.push(line);
      this.lines.set(parsed.unit, strict ? i + 1 : kept.length + 1);
    }
    return kept;
  }

  /** The 1-based line of `unit`'s entry in the file, if it was read from there. */
  lineOf(unit: string): number | undefined {
    return this.lines.get(unit);
  }

  /** Record one finished unit (appended, so earlier units are never rewritten). */
  async add(unit: string, value: T): Promise<void> {
    this.finished.set(unit, value);
    this.lines.delete(unit);
    const entry: StoredUnit = { unit, value: this.codec.encode(value) };
    await Deno.writeTextFile(this.path, JSON.stringify(entry) + "\n", { append: true });
  }

  /** Delete the file once the run's results are written. */
  async remove(): Promise<void> {
    await Deno.remove(this.path).catch(() => {});
  }
}
