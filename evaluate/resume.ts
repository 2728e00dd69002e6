/**
 * Finished batches of an interrupted `eval`, kept on disk so a rerun with the
 * same inputs skips them. One JSON line per batch after a header line holding
 * a key (a hash of everything that decides the outputs, the model rows
 * included); a file with another key is started afresh. Logits are stored as
 * base64 float32 bytes, so NaN and infinities come back exactly. A torn last
 * line (the process was killed while writing) is dropped when the file is
 * reopened, and the file is rewritten without it.
 */
import { Buffer } from "node:buffer";
import { writeAtomic } from "../runtime/files.ts";

interface StoredBatch {
  batch: number;
  /** Base64 float32 bytes of each row's logits. */
  logits: string[];
}

const encodeRow = (row: Float32Array) =>
  Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString("base64");

function decodeRow(text: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length % 4 !== 0) throw new Error("torn row");
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** An append-only store of finished batches. */
export class ResumeStore {
  readonly finished = new Map<number, Float32Array[]>();

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
    const kept = [JSON.stringify({ key })];
    if (header?.key === key) {
      for (const line of lines.slice(1)) {
        if (line.trim() === "") continue;
        try {
          const entry = JSON.parse(line) as StoredBatch;
          store.finished.set(entry.batch, entry.logits.map(decodeRow));
          kept.push(line);
        } catch {
          break; // a torn line from an interrupted write: everything after it is redone
        }
      }
    }
    // Rewritten whole, so a later append never lands on the tail of a torn line.
    await writeAtomic(path, kept.map((l) => l + "\n").join(""));
    return store;
  }

  /** Record one finished batch (appended, so earlier batches are never rewritten). */
  async add(batch: number, logits: Float32Array[]): Promise<void> {
    this.finished.set(batch, logits);
    const entry: StoredBatch = { batch, logits: logits.map(encodeRow) };
    await Deno.writeTextFile(this.path, JSON.stringify(entry) + "\n", { append: true });
  }

  /** Delete the file once the run's results are written. */
  async remove(): Promise<void> {
    await Deno.remove(this.path).catch(() => {});
  }
}
