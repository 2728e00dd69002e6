/**
 * Finished units of an interrupted run (eval batches, bench models, GEMM
 * shapes), kept on disk so a rerun with the same inputs skips them. One JSON
 * line per unit after a header line holding a key (a hash of everything that
 * decides the results); a file with another key is started afresh. A torn
 * last line (the process was killed while writing) is dropped when the file
 * is reopened, and the file is rewritten without it.
 */
import { writeAtomic } from "./files.ts";

interface StoredUnit {
  unit: string;
  value: unknown;
}

/**
 * How a unit's value is kept on disk: `encode` gives its JSON form and
 * `decode` reads it back, throwing on a value it rejects.
 */
export interface UnitCodec<T> {
  encode(value: T): unknown;
  decode(stored: unknown): T;
}

const asStored = { encode: (value: unknown) => value, decode: (stored: unknown) => stored };

/** An append-only store of finished units, keyed by unit name. */
export class UnitStore<T> {
  readonly finished = new Map<string, T>();

  private constructor(
    readonly path: string,
    readonly key: string,
    private readonly codec: UnitCodec<T>,
  ) {}

  /**
   * Open `path`, keeping its units when its key equals `key`; a value the
   * codec rejects is redone, with everything after it.
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
          const entry = JSON.parse(line) as StoredUnit;
          if (typeof entry.unit !== "string") throw new Error("no unit");
          store.finished.set(entry.unit, codec.decode(entry.value));
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
    const entry: StoredUnit = { unit, value: this.codec.encode(value) };
    await Deno.writeTextFile(this.path, JSON.stringify(entry) + "\n", { append: true });
  }

  /** Delete the file once the run's results are written. */
  async remove(): Promise<void> {
    await Deno.remove(this.path).catch(() => {});
  }
}
