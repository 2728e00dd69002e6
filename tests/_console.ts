/** Capture what code under test prints with `console.error` (warnings), for the tests. */

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
