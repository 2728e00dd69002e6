/**
 * How every entry point ends: the command's exit code, or one `error:` line
 * and 2 for a usage mistake, 130 for a Ctrl-C that training turned into a
 * resume point (or that `exitOnInterrupt` caught), 1 for anything else (the
 * stack only with HARNESS_DEBUG=1).
 */
import { UsageError } from "./flags.ts";

function debug(): boolean {
  try {
    return Deno.env.get("HARNESS_DEBUG") === "1";
  } catch {
    return false; // no --allow-env
  }
}

/**
 * Until the returned function is called, Ctrl-C prints one line saying what
 * was kept and how to go on, and exits 130. For commands whose finished work
 * is already on disk (eval's batches, bench's models), so nothing is lost.
 */
export function exitOnInterrupt(kept: string): () => void {
  const listener = () => {
    // Show the cursor a live progress bar hid and end its line before the message.
    if (Deno.stderr.isTerminal()) Deno.stderr.writeSync(new TextEncoder().encode("\x1b[?25h\n"));
    console.error(`interrupted: ${kept}`);
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", listener);
  return () => Deno.removeSignalListener("SIGINT", listener);
}

/** Run `command` and exit the process with its code, or report its error in one line. */
export async function exitWith(command: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await command();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`error: ${message}`);
    if (debug() && error instanceof Error && error.stack) console.error(error.stack);
    // 130: stopped by Ctrl-C (training saves a resume point first), as shells report SIGINT.
    code = error instanceof UsageError
      ? 2
      : (error as Error).name === "TrainingInterrupted"
      ? 130
      : 1;
  }
  Deno.exit(code);
}
