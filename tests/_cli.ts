/** Run the command line in a subprocess, as a user would, for the CLI tests. */

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;

/** Exit code and decoded output of one `deno run -A cli.ts ...args` from the project root. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `cli.ts` with `args`; `env` adds to the inherited environment (colours
 * off); `cwd` (default the project root) is where relative default paths land.
 */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  cwd: string = ROOT,
): Promise<CliRun> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}
