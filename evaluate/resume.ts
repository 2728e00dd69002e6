/**
 * Finished batches of an interrupted `eval`, kept on disk so a rerun with the
 * same inputs skips them. One JSON line per batch after a header line holding
 * a key (a hash of everything that decides the outputs); a file with another
 * key is started afresh, and a torn last line (the process was killed while
 * writing) is ignored. Float32 logits survive the JSON round trip exactly.
 */

/** Logits of the rows of one finished batch. */
export interface FinishedBatch {
  batch: number;
  logits: number[][];
}

/** An append-only store of finished batches. */
export class ResumeStore {
  readonly finished = new Map<number, number[][]>();

  private constructor(readonly path: string, readonly key: string) {}

  /** Open `path`, keeping its batches when its key equals `key`. */
  static async open(path: string, key: string): Promise<ResumeStore> {
    const store = new ResumeStore(path, key);
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
    if (header?.key === key) {
      for (const line of lines.slice(1)) {
        if (line.trim() === "") continue;
        try {
          const entry = JSON.parse(line) as FinishedBatch;
          store.finished.set(entry.batch, entry.logits);
        } catch {
          break; // a torn line from an interrupted write: everything after it is redone
        }
      }
    } else {
      await Deno.writeTextFile(path, JSON.stringify({ key }) + "\n");
    }
    return store;
  }

  /** Record one finished batch (appended, so earlier batches are never rewritten). */
  async add(batch: number, logits: Float32Array[]): Promise<void> {
    const rows = logits.map((l) => Array.from(l));
    this.finished.set(batch, rows);
    await Deno.writeTextFile(this.path, JSON.stringify({ batch, logits: rows }) + "\n", {
      append: true,
    });
  }

  /** Delete the file once the run's results are written. */
  async remove(): Promise<void> {
    await Deno.remove(this.path).catch(() => {});
  }
}
