/**
 * Finished batches of an interrupted `eval`, kept on disk (a `UnitStore`) so a
 * rerun with the same inputs skips them. Logits are stored as base64 float32
 * bytes, so NaN and infinities come back exactly. Shards of a split run keep
 * their batches in the same format for `merge`.
 */
import { Buffer } from "node:buffer";
import { UnitStore } from "../runtime/unit_store.ts";

const encodeRow = (row: Float32Array) =>
  Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString("base64");

function decodeRow(text: unknown): Float32Array {
  if (typeof text !== "string") throw new Error("not a row");
  const bytes = Buffer.from(text, "base64");
  if (bytes.length % 4 !== 0) throw new Error("torn row");
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

const logitsCodec = {
  encode: (rows: Float32Array[]) => rows.map(encodeRow),
  decode(stored: unknown): Float32Array[] {
    if (!Array.isArray(stored)) throw new Error("not a batch");
    return stored.map(decodeRow);
  },
};

/** An append-only store of finished batches: batch index to each row's logits. */
export class ResumeStore {
  readonly finished = new Map<number, Float32Array[]>();

  private constructor(private readonly units: UnitStore<Float32Array[]>) {
    for (const [unit, rows] of units.finished) this.finished.set(Number(unit), rows);
  }

  /** The file the batches live in. */
  get path(): string {
    return this.units.path;
  }

  /** Open `path`, keeping its batches when its key equals `key`. */
  static async open(path: string, key: string): Promise<ResumeStore> {
    return new ResumeStore(await UnitStore.open(path, key, logitsCodec));
  }

  /** Record one finished batch (appended, so earlier batches are never rewritten). */
  async add(batch: number, logits: Float32Array[]): Promise<void> {
    this.finished.set(batch, logits);
    await this.units.add(String(batch), logits);
  }

  /** Delete the file once the run's results are written. */
  async remove(): Promise<void> {
    await this.units.remove();
  }
}
