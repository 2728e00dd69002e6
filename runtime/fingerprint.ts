/**
 * The fingerprint every run record carries (DESIGN.md §5): what was run
 * (config and weights hashes, task, data files), where (backend, adapter and
 * its features) and with what (Deno and package versions, git commit, seed),
 * so that two records can be compared or refused as incomparable.
 *
 * Hashes are hex SHA-256. The config hash covers the canonical JSON (sorted
 * keys) of the config in Hugging Face layout; the weights hash covers every
 * tensor's name and float32 bytes in layout order.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { configToJson, type ModelConfig } from "../models/config.ts";
import { modelLayout } from "../models/layout.ts";
import type { Weights } from "../models/model.ts";
import type { BackendInfo } from "../backends/backend.ts";

/** A data file the run read, with its content hash. */
export interface DataFileHash {
  /** The path as the run was given it (not resolved). */
  path: string;
  /** Hex SHA-256 of the file's content. */
  sha256: string;
  /** File size in bytes. */
  bytes: number;
}

/** The identity of a run, stored in every run record. */
export interface Fingerprint {
  /** Hex SHA-256 of the config's canonical Hugging Face JSON (`configHash`). */
  configHash: string;
  /** Absent when the run used no weights (e.g. a GEMM micro-benchmark). */
  weightsHash?: string;
  /** Task name; comma-separated for multi-task training; absent for benchmarks. */
  task?: string;
  /** Every data file the run read, hashed; empty when it read none. */
  dataFiles: DataFileHash[];
  /** `BackendInfo.name` of the engine, when the run used one. */
  backend?: string;
  /** `BackendInfo.device`: the adapter description or execution provider. */
  adapter?: string;
  /** The backend's features, sorted; empty without a backend. */
  features: string[];
  /** `Deno.version`: the Deno, V8 and TypeScript versions. */
  deno: { deno: string; v8: string; typescript: string };
  /** npm package versions from the `deno.json` imports map, by import name. */
  packages: Record<string, string>;
  /** The checkout's commit (`"unknown"` outside git) and whether its code has changes. */
  git: { commit: string; dirty: boolean };
  /** The run's random seed (random weights, training order), when it had one. */
  seed?: number;
}

/** What `fingerprint` hashes and records; everything but `config` is optional. */
export interface FingerprintOptions {
  /** The model config; hashed into `configHash`. */
  config: ModelConfig;
  /** The weights; hashed into `weightsHash` when given. */
  weights?: Weights;
  /** Task name(s) to record as is. */
  task?: string;
  /** Paths of data files read by the run; each is hashed. */
  dataFiles?: string[];
  /** The engine; gives `backend`, `adapter` and `features`. */
  backend?: BackendInfo;
  /** Seed to record as is. */
  seed?: number;
  /** The `deno.json` to read package versions from; defaults to the project's own. */
  denoJson?: string | URL;
  /** Directory for the git queries; defaults to the project root. */
  gitDir?: string;
  /**
   * The run's `codeState()`, when the caller has it: the commit and whether
   * code changed are read from it instead of asking git again.
   */
  code?: CodeState;
}

const PROJECT_ROOT = new URL("../", import.meta.url);

/** JSON with object keys sorted at every level and `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/** Hex SHA-256 of a string (UTF-8) or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** SHA-256 of the canonical JSON of a config in Hugging Face layout. */
export function configHash(config: ModelConfig): string {
  return sha256(canonicalJson(configToJson(config)));
}

/** SHA-256 over each tensor's name, a NUL, and its float32 bytes, in layout order. */
export function weightsHash(config: ModelConfig, weights: Weights): string {
  const hash = createHash("sha256");
  for (const spec of modelLayout(config).tensors) {
    const data = weights.get(spec.name);
    if (!data) throw new Error(`Cannot hash weights: tensor "${spec.name}" is missing`);
    hash.update(spec.name);
    hash.update(new Uint8Array([0]));
    hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }
  return hash.digest("hex");
}

/** SHA-256 and size of a file, read in full. */
export async function fileHash(path: string): Promise<DataFileHash> {
  const bytes = await Deno.readFile(path);
  return { path, sha256: sha256(bytes), bytes: bytes.byteLength };
}

/** One hash over the SHA-256 of each file content, in order (what `filesSha256` keeps). */
function digestsSha256(digests: readonly string[]): string {
  const hash = createHash("sha256");
  for (const digest of digests) hash.update(digest);
  return hash.digest("hex");
}

/**
 * One hash over the contents of `paths` (in order), or undefined when one is
 * missing: what a record of written files keeps, so a later run reuses it
 * only while those files are still the ones it wrote.
 */
export async function filesSha256(paths: readonly string[]): Promise<string | undefined> {
  const digests: string[] = [];
  for (const path of paths) {
    try {
      digests.push((await fileHash(path)).sha256);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw error;
    }
  }
  return digestsSha256(digests);
}

/**
 * What `filesSha256` gives for files holding `texts` (in order), written as
 * UTF-8: a run hashes the result files it has just written without reading
 * them back.
 */
export function textsSha256(texts: readonly string[]): string {
  const utf8 = new TextEncoder();
  return digestsSha256(texts.map((text) => sha256(utf8.encode(text))));
}

/** npm package versions from a `deno.json` imports map (`"name": "npm:name@1.2.3"`). */
export async function packageVersions(denoJson: string | URL): Promise<Record<string, string>> {
  const json = JSON.parse(await Deno.readTextFile(denoJson));
  const versions: Record<string, string> = {};
  for (const [name, target] of Object.entries(json.imports ?? {})) {
    const match = typeof target === "string" ? /^npm:(@?[^@]+)@(.+)$/.exec(target) : null;
    if (match) versions[name] = match[2];
  }
  return versions;
}

/** What git prints for `args`, trimmed; undefined when it fails or git is missing. */
async function git(args: string[], cwd: string): Promise<string | undefined> {
  try {
    const { success, stdout } = await new Deno.Command("git", {
      args,
      cwd,
      stdout: "piped",
      stderr: "null",
    }).output();
    return success ? new TextDecoder().decode(stdout).trim() : undefined;
  } catch {
    return undefined; // git is not installed
  }
}

/** Pathspec of what is not code: the tool's own outputs (records, leaderboard, baseline). */
// The files that decide what a run computes: TypeScript and Deno's config and lock file.
// Outputs written into the checkout (records, predictions, checkpoints, shard logits) are not
// code, so they never change the work key of the run that wrote them or of its reruns.
const CODE_PATHS = ["--", ":(glob)**/*.ts", "deno.json", "deno.lock", ":(exclude)results"];

/** A checkout's commit and whether its code has changes, as run records keep them. */
export interface GitState {
  /** Full `HEAD` commit hash, or `"unknown"` outside a git checkout. */
  commit: string;
  /** Whether code files (`*.ts`, deno.json, deno.lock) outside `results/` changed or were added. */
  dirty: boolean;
}

/**
 * The checkout's commit (`"unknown"` outside a git checkout) and whether its
 * code has changes: edits to tracked code files or new ones git does not
 * ignore, outside `results/`.
 */
export async function gitState(cwd: string): Promise<GitState> {
  const commit = await git(["rev-parse", "HEAD"], cwd);
  if (commit === undefined) return { commit: "unknown", dirty: false };
  const status = await git(["status", "--porcelain", "--untracked-files=all", ...CODE_PATHS], cwd);
  return { commit, dirty: status !== undefined && status.length > 0 };
}

/** What `codeState` gives: the commit, and a hash of the code changes when there are any. */
export interface CodeState {
  /** Full `HEAD` commit hash, or `"unknown"` outside a git checkout. */
  commit: string;
  /** Hex SHA-256 of the uncommitted code changes, absent without any; outside git, of all code. */
  changes?: string;
}

/**
 * The code a run executes, so reused results never outlive an edit: the
 * commit, plus a hash of the uncommitted changes to code (the diff and the new
 * files) when there are any. Outside a git checkout (an unpacked archive) the
 * commit is unknown and the hash covers every TypeScript file and deno.json.
 */
export async function codeState(
  gitDir: string = fileURLToPath(PROJECT_ROOT),
): Promise<CodeState> {
  const { commit, dirty } = await gitState(gitDir);
  if (commit === "unknown") {
    return { commit, changes: await sourceHash(gitDir, await sources(gitDir)) };
  }
  if (!dirty) return { commit };
  const diff = await git(["diff", "HEAD", ...CODE_PATHS], gitDir) ?? "";
  const added = (await git(["ls-files", "--others", "--exclude-standard", ...CODE_PATHS], gitDir))
    ?.split("\n").filter((line) => line.length > 0) ?? [];
  return { commit, changes: sha256(diff + "\u0000" + await sourceHash(gitDir, added)) };
}

/** The git state (as `gitState` gives it) that a `codeState` result was made from. */
export function gitStateOf(code: CodeState): GitState {
  return { commit: code.commit, dirty: code.commit !== "unknown" && code.changes !== undefined };
}

/** Hash of the named files under `root`, names and contents (a vanished file hashes as gone). */
async function sourceHash(root: string, files: string[]): Promise<string> {
  const sorted = [...files].sort();
  const contents = await filesSha256(sorted.map((file) => join(root, file)));
  return sha256(`${sorted.join("\u0000")}\u0000${contents ?? "missing"}`);
}

/** The project's TypeScript files and deno.json, outside node_modules and results. */
async function sources(root: string, dir = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(join(root, dir))) {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory) {
      if (!entry.name.startsWith(".") && !["node_modules", "results"].includes(entry.name)) {
        found.push(...await sources(root, path));
      }
    } else if (entry.isFile && (entry.name.endsWith(".ts") || path === "deno.json")) {
      found.push(path);
    }
  }
  return found;
}

/** Build the fingerprint of a run. */
export async function fingerprint(options: FingerprintOptions): Promise<Fingerprint> {
  const gitDir = options.gitDir ?? fileURLToPath(PROJECT_ROOT);
  const [dataFiles, packages, gitInfo] = await Promise.all([
    Promise.all((options.dataFiles ?? []).map(fileHash)),
    packageVersions(options.denoJson ?? new URL("deno.json", PROJECT_ROOT)),
    options.code ? gitStateOf(options.code) : gitState(gitDir),
  ]);
  return {
    configHash: configHash(options.config),
    weightsHash: options.weights ? weightsHash(options.config, options.weights) : undefined,
    task: options.task,
    dataFiles,
    backend: options.backend?.name,
    adapter: options.backend?.device,
    features: [...(options.backend?.features ?? [])].sort(),
    deno: { ...Deno.version },
    packages,
    git: gitInfo,
    seed: options.seed,
  };
}
