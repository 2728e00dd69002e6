/**
 * Finished batches of an interrupted `eval`, kept on disk (a `UnitStore`) so a
 * rerun with the same inputs skips them. Logits are stored as base64 float32
 * bytes, so NaN and infinities come back exactly. Shards of a split run keep
 * their batches in the same format for `merge`, which reads them strictly
 * (`ResumeStore.read`). The store says which line each batch read back came
 * from (`storedAt`), so a row of the wrong width found later can be traced there.
 */
import { Buffer } from "node:buffer";
import { type UnitCodec, UnitStore } from "../runtime/unit_store.ts";

const encodeRow = (row: Float32Array) =>
  Buffer.from(row.buffer, row.byteOffset, row.byteLength).toString("base64");

/**
 * A row back from its base64 text. Node's decoder skips characters outside
 * the alphabet, so the text must also be exactly what encoding gives back.
 */
function decodeRow(text: unknown, i: number): Float32Array {
  if (typeof text !== "string") throw new Error(`row ${i} is not a base64 string`);
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) throw new Error(`row ${i} is not valid base64`);
  if (bytes.length === 0 || bytes.length % 4 !== 0) {
    throw new Error(`row ${i} holds ${bytes.length} bytes, not a whole number of float32 logits`);
  }
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

const logitsCodec: UnitCodec<Float32Array[]> = {
  encode: (rows: Float32Array[]) => rows.map(encodeRow),
  decode(stored: unknown): Float32Array[] {
    if (!Array.isArray(stored) || stored.length === 0) throw new Error("is not a list of rows");
    return stored.map(decodeRow);
  },
  unit: /^(0|[1-9][0-9]*)$/,
  noun: "batch",
};

/** Where a batch read back from a file came from. */
export interface StoredAt {
  path: string;
  line: number;
}

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

  /**
   * Open `path`, keeping its batches when its key equals `key`; a line that
   * does not decode is dropped with a warning and its batch computed again.
   */
  static async open(path: string, key: string): Promise<ResumeStore> {
    return new ResumeStore(await UnitStore.open(path, key, logitsCodec));
  }

  /** Read a shard's finished logits file strictly: any flaw throws, naming the file and line. */
  static async read(path: string, key: string): Promise<ResumeStore> {
    return new ResumeStore(await UnitStore.read(path, key, logitsCodec));
  }

  /** The file and line batch `batch` was read from, if it was (not added since). */
  storedAt(batch: number): StoredAt | undefined {
    const line = this.units.lineOf(String(batch));
    return line === undefined ? undefined : { path: this.path, line };
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
