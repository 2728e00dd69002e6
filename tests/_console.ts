/** Capture what code under test prints on stderr (warnings, progress lines), for the tests. */

/** What `run` printed with `console.error`, as lines. */
export async function errorLines(run: () => Promise<unknown>): Promise<string[]> {
  const error = console.error;
  const lines: string[] = [];
  console.error = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    await run();
  } finally {
    console.error = error;
  }
  return lines;
}

/**
 * What `run` wrote straight to stderr (`Deno.stderr.writeSync`: the progress
 * display's plain lines off a terminal), as non-empty lines.
 */
export async function stderrLines(run: () => Promise<unknown>): Promise<string[]> {
  const write = Deno.stderr.writeSync;
  const chunks: string[] = [];
  Deno.stderr.writeSync = (bytes: Uint8Array) => {
    chunks.push(new TextDecoder().decode(bytes));
    return bytes.length;
  };
  try {
    await run();
  } finally {
    Deno.stderr.writeSync = write;
  }
  return chunks.join("").split("\n").filter((line) => line.length > 0);
}
