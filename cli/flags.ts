/** Flag parsing shared by the commands: strict `parseArgs` with one-line usage errors. */
import type { Dtype } from "../runtime/kernel.ts";
import { dirname, resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Shard } from "../runtime/records.ts";
import { parseShard } from "../runtime/shard.ts";

/** A command-line mistake: reported in one line with exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The `options` argument of `parseArgs`. */
export type Options = NonNullable<ParseArgsConfig["options"]>;

/** `parseArgs` in strict mode, with its errors turned into one-line usage errors. */
export function parseFlags<T extends Options>(command: string, args: string[], options: T) {
  return parseCommandLine(command, args, options, false).values;
}

/** `parseFlags` that also returns positional arguments when `allowPositionals` (e.g. `merge FILE...`). */
export function parseCommandLine<T extends Options>(
  command: string,
  args: string[],
  options: T,
  allowPositionals: boolean,
) {
  try {
    return parseArgs({
      args: joinNegativeValues(args, options),
      options,
      strict: true,
      allowPositionals,
    });
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    const quoted = /'([^']+)'/.exec(message)?.[1];
    // pals-table is a deno task of its own; the other commands are harness subcommands.
    const invocation = command === "pals-table"
      ? "deno task pals-table"
      : `deno task harness ${command}`;
    const hint = `(see "${invocation} --help")`;
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      throw new UsageError(`Unknown flag "${quoted}" for command "${command}" ${hint}`);
    }
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
      throw new UsageError(`Unexpected argument "${quoted}" for command "${command}" ${hint}`);
    }
    if (code?.startsWith("ERR_PARSE_ARGS")) throw new UsageError(`${message} ${hint}`);
    throw error;
  }
}

/**
 * `--flag -1` rewritten as `--flag=-1` for string flags, so a negative number
 * reaches the flag's own check ("must be a non-negative number") instead of
 * `parseArgs`'s "argument is ambiguous".
 */
function joinNegativeValues(args: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--") return [...out, ...args.slice(i)]; // positionals from here on
    const name = /^--([^=]+)$/.exec(args[i])?.[1];
    const next = args[i + 1];
    if (
      name !== undefined && options[name]?.type === "string" && next !== undefined &&
      /^-(\d|\.\d)/.test(next)
    ) {
      out.push(`${args[i]}=${next}`);
      i++;
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/** A non-negative number flag (learning rates, decay), or `fallback` when absent. */
export function numberFlag(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const x = Number(value);
  // Decimal notation only: Number() also reads "0x3", "0b1" and "" (as 0).
  const decimal = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim());
  if (!decimal || !Number.isFinite(x) || x < 0) {
    throw new UsageError(`Flag "--${name}" must be a non-negative number, got "${value}"`);
  }
  return x;
}

/** A learning-rate flag: a positive number (at 0 no weight would change), or `fallback`. */
export function learningRateFlag(
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  const x = numberFlag(name, value, fallback);
  if (x === 0) {
    throw new UsageError(`Flag "--${name}" must be above 0: at 0 no weight would change`);
  }
  return x;
}

/**
 * The flag of two names (`--runs`/`--reps`) that was given, and its value:
 * either may be given, both only when they agree, so neither is silently
 * ignored. The name is the one to quote in a message about the value.
 */
export function aliasedFlag(
  flags: Record<string, unknown>,
  name: string,
  alias: string,
): [string, string | undefined] {
  const [value, other] = [flags[name], flags[alias]] as (string | undefined)[];
  if (value !== undefined && other !== undefined && value !== other) {
    throw new UsageError(
      `Flags "--${name}" and "--${alias}" are one flag; give one of them, not "${value}" and "${other}"`,
    );
  }
  return value !== undefined ? [name, value] : [alias, other];
}

/** A fraction flag in [0, 1] (e.g. the warm-up share of the steps), or `fallback` when absent. */
export function fractionFlag(name: string, value: string | undefined, fallback: number): number {
  const x = numberFlag(name, value, fallback);
  if (x > 1) {
    throw new UsageError(`Flag "--${name}" must be a fraction in [0, 1], got "${value}"`);
  }
  return x;
}

/** An integer flag of at least `least`, or undefined when absent. */
export function integerFlag(
  name: string,
  value: string | undefined,
  least: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < least) {
    throw new UsageError(
      `Flag "--${name}" must be an integer of at least ${least}, got "${value}"`,
    );
  }
  return n;
}

/**
 * A flag naming a directory to write into (`--out`, `--records`): refused at
 * once when it, or the nearest part of it that exists, is not a directory,
 * instead of failing with an OS error after the work is done.
 */
export function outputDirFlag(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const full = resolve(value);
  for (let path = full;; path = dirname(path)) {
    const info = existing(path);
    if (info?.isDirectory) {
      assertWritable(name, value, path);
      return value;
    }
    if (info) {
      const where = path === full ? "it" : `"${path}"`;
      const what = info.isSymlink ? "a broken symbolic link" : "not a directory";
      throw new UsageError(
        `Flag "--${name}" must name a directory to write into, but ${where} is ${what}: "${value}"`,
      );
    }
    if (dirname(path) === path) return value;
  }
}

/** A file a command writes (`--log-samples`): not a directory, in a directory it can write. */
export function outputFileFlag(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (existing(resolve(value))?.isDirectory) {
    throw new UsageError(`Flag "--${name}" must name a file, but "${value}" is a directory`);
  }
  outputDirFlag(name, dirname(resolve(value)));
  return value;
}

/**
 * Throw unless a file can be made in `dir` (the directory the output will go
 * in, or its nearest existing parent), so a read-only or special path fails
 * now rather than after the work; the probe file is removed at once.
 */
function assertWritable(name: string, value: string, dir: string): void {
  let probe: string;
  try {
    probe = Deno.makeTempFileSync({ dir, prefix: ".write-probe-" });
  } catch (error) {
    const why = (error as Error).message.replace(/ \(os error \d+\).*$/, "");
    throw new UsageError(
      `Flag "--${name}" must name a directory to write into, but "${dir}" is not writable ` +
        `(${why}): "${value}"`,
    );
  }
  Deno.removeSync(probe);
}

/**
 * What is at `path` (a symbolic link followed), a broken link itself, or
 * undefined when nothing is: also for a path below a file, which reads as
 * "not a directory", so the caller goes on up to the file.
 */
function existing(path: string): Deno.FileInfo | undefined {
  for (const stat of [Deno.statSync, Deno.lstatSync]) {
    try {
      return stat(path);
    } catch (error) {
      const missing = error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.NotADirectory;
      if (!missing) throw error;
    }
  }
  return undefined;
}

/** `--dtype f16|f32` parsed (default f32). */
export function dtypeFlag(value: string | undefined): Dtype {
  if (value === undefined || value === "f32" || value === "f16") return value ?? "f32";
  throw new UsageError(`Flag "--dtype" must be f32 or f16, got "${value}"`);
}

/** `--shard i/n` parsed (1 ≤ i ≤ n), or undefined when absent. */
export function shardFlag(value: string | undefined): Shard | undefined {
  if (value === undefined) return undefined;
  try {
    return parseShard(value);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
