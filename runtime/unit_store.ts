/**
 * Finished units of an interrupted run (eval batches, bench models, GEMM
 * shapes), kept on disk so a rerun with the same inputs skips them. One JSON
 * line per unit after a header line holding a key (a hash of everything that
 * decides the results); a file with another key is started afresh. A torn
 * last line (the process was killed while writing) is dropped when the file
 * is reopened, and the file is rewritten without it.
 */
import { writeAtomic } from "./files.ts";

interface StoredUnit<T> {
  unit: string;
  value: T;
}

/** An append-only store of finished units, keyed by unit name. */
export class UnitStore<T> {
  readonly finished = new Map<string, T>();

  private constructor(readonly path: string, readonly key: string) {}

  /**
   * Open `path`, keeping its units when its key equals `key`; `check` may
   * reject a stored value (throw) so that it and everything after it is redone.
   */
  static async open<T>(
    path: string,
    key: string,
    check: (value: T) => void = () => {},
  ): Promise<UnitStore<T>> {
    const store = new UnitStore<T>(path, key);
    let text: string | undefined;
    try {
      text = await Deno.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const lines = text?.split("\n") ?? [];
    let header: { key?: string } | undefined;
    try {
      header = JSON.parse(lines[0]);
    } catch {
      header = undefined;
    }
    const kept = [JSON.stringify({ key })];
    if (header?.key === key) {
      for (const line of lines.slice(1)) {
        if (line.trim() === "") continue;
        try {
          const entry = JSON.parse(line) as StoredUnit<T>;
          if (typeof entry.unit !== "string") throw new Error("no unit");
          check(entry.value);
          store.finished.set(entry.unit, entry.value);
          kept.push(line);
        } catch {
          break; // a torn line from an interrupted write: everything after it is redone
        }
      }
    }
    // Rewritten whole when it is new or lost lines (another key, a torn tail), so a later
    // append never lands on the tail of a torn line; an intact file is only read (a shard's
    // logits file that `merge` reads stays as it was).
    const whole = kept.map((l) => l + "\n").join("");
    if (text !== whole) await writeAtomic(path, whole);
    return store;
  }

  /** Record one finished unit (appended, so earlier units are never rewritten). */
  async add(unit: string, value: T): Promise<void> {
    this.finished.set(unit, value);
    const entry: StoredUnit<T> = { unit, value };
    await Deno.writeTextFile(this.path, JSON.stringify(entry) + "\n", { append: true });
  }

  /** Delete the file once the run's results are written. */
  async remove(): Promise<void> {
    await Deno.remove(this.path).catch(() => {});
  }
}
