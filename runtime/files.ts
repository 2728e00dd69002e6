/**
 * Atomic file writes: data goes to a temporary file beside the target, is
 * flushed, and is then renamed over it, so a reader (or a rerun after a crash)
 * sees either the old file or the whole new one, never half of it. Also the
 * small file-system helpers the commands share.
 */

/**
 * Write `chunks` (or one string) to `path` atomically; a failure (a missing
 * folder, a full disk, a directory in the way) names `path` and leaves no
 * temporary file.
 */
export async function writeAtomic(path: string, chunks: Uint8Array[] | string): Promise<void> {
  try {
    await writeThenRename(path, typeof chunks === "string" ? [encoder.encode(chunks)] : chunks);
  } catch (error) {
    // The OS message alone ("No space left on device") would not say which output failed.
    throw new Error(`Could not write "${path}": ${(error as Error).message}`, { cause: error });
  }
}

const encoder = new TextEncoder();

async function writeThenRename(path: string, parts: Uint8Array[]): Promise<void> {
  const tmp = `${path}.${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.tmp`;
  const file = await Deno.open(tmp, { write: true, createNew: true });
  try {
    for (const chunk of parts) {
      for (let at = 0; at < chunk.length;) at += await file.write(chunk.subarray(at));
    }
    // Flush before the rename so a crash cannot leave the final name pointing at partial data.
    await file.syncData();
    file.close();
    await Deno.rename(tmp, path);
  } catch (error) {
    try {
      file.close();
    } catch { /* already closed */ }
    await removeIfPresent(tmp);
    throw error;
  }
}

/** Remove a file, ignoring one that is not there. */
export async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** `Deno.stat`, or undefined when the path does not exist. */
export async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The last path component of a model name or directory, safe as a file name. */
export function slug(text: string): string {
  return text.replace(/[\\/]+$/, "").split(/[\\/]/).pop()!.replace(/[^A-Za-z0-9._-]+/g, "-");
}

/**
 * A model name or path as one file name with every component kept, joined by
 * "-", so `runs/a/seed-0/best` and `runs/b/seed-1/best` get different names.
 */
export function pathSlug(text: string): string {
  const parts = text.split(/[\\/]+/).filter((part) => part !== "" && part !== ".");
  return parts.join("-").replace(/[^A-Za-z0-9._-]+/g, "-");
}

/** Why `path` is not a directory to read ("does not exist", "is not a directory"), or undefined. */
export function directoryProblem(path: string): string | undefined {
  try {
    return Deno.statSync(path).isDirectory ? undefined : "is not a directory";
  } catch {
    return "does not exist";
  }
}
