/**
 * Resume points of a training run: weights and both optimiser moments as
 * safetensors files named after their step, then `state.json` (step, best
 * scores, and a key of everything that decides the result) written
 * atomically last. The state file is the commit point: an interruption while
 * the tensors are written leaves the previous resume point intact, and the
 * files it names are removed only after a newer one is committed.
 */
import { join } from "node:path";
import { readSafetensors, safetensorsChunks } from "../models/safetensors.ts";
import type { Weights } from "../models/model.ts";
import { removeIfPresent, statOrUndefined, writeAtomic } from "../runtime/files.ts";

/** What a resume point records besides the tensors. */
export interface ResumeState {
  /** Key of the run's settings; a resume point of other settings is refused. */
  key: string;
  /** Optimiser steps done. */
  step: number;
  /** Best dev score so far per task and its epoch (`null` before the first evaluation). */
  best: ({ score: number; epoch: number; metrics: Record<string, number> } | null)[];
  /** Training-log lines written up to this step (the log is cut back to them on resume). */
  logLines: number;
  /** Loss-scale state of mixed-precision (f16) training (`Trainer.lossScale().values`). */
  lossScale?: number[];
  files: { params: string; m: string; v: string };
}

const STATE = "state.json";

/** Write a resume point under `dir`, then drop the previous one's tensors. */
export async function saveResumePoint(
  dir: string,
  state: Omit<ResumeState, "files">,
  tensors: { params: Weights; m: Weights; v: Weights },
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const previous = await loadResumeState(dir);
  const files = {
    params: `params-${state.step}.safetensors`,
    m: `adam-m-${state.step}.safetensors`,
    v: `adam-v-${state.step}.safetensors`,
  };
  for (const which of ["params", "m", "v"] as const) {
    const entries = [...tensors[which]].map(([name, data]) =>
      [name, { shape: [data.length], data }] as [string, { shape: number[]; data: Float32Array }]
    );
    await writeAtomic(join(dir, files[which]), safetensorsChunks(entries, { dtype: "F32" }));
  }
  await writeAtomic(join(dir, STATE), JSON.stringify({ ...state, files }, null, 2) + "\n");
  if (previous) {
    for (const file of Object.values(previous.files)) {
      if (!Object.values(files).includes(file)) await removeIfPresent(join(dir, file));
    }
  }
}

/** The committed state under `dir`, if any. */
export async function loadResumeState(dir: string): Promise<ResumeState | undefined> {
  const path = join(dir, STATE);
  if (!(await statOrUndefined(path))) return undefined;
  let state: unknown;
  try {
    state = JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    throw new Error(`Cannot read resume state "${path}": ${(error as Error).message}`);
  }
  const problem = stateProblem(state);
  if (problem) throw new Error(`Resume state "${path}" is corrupt: ${problem}`);
  return state as ResumeState;
}

/** What is wrong with a parsed `state.json`, or undefined when it has every field right. */
function stateProblem(state: unknown): string | undefined {
  if (typeof state !== "object" || state === null || Array.isArray(state)) return "not an object";
  const s = state as Record<string, unknown>;
  const count = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
  const got = (field: string) => `"${field}" is ${JSON.stringify(s[field]) ?? "missing"}`;
  if (typeof s.key !== "string") return `${got("key")}, not a string`;
  if (!count(s.step)) return `${got("step")}, not a step count`;
  if (!count(s.logLines)) return `${got("logLines")}, not a line count`;
  if (!Array.isArray(s.best)) return `${got("best")}, not a list`;
  const bad = s.best.find((b) =>
    b !== null && typeof (b as { epoch?: unknown })?.epoch !== "number"
  );
  if (bad !== undefined) return `"best" holds ${JSON.stringify(bad)}, not a score or null`;
  if (s.lossScale !== undefined) {
    const ok = Array.isArray(s.lossScale) && s.lossScale.every((x) => typeof x === "number");
    if (!ok) return `${got("lossScale")}, not a list of numbers`;
  }
  const files = s.files as Record<string, unknown> | undefined;
  for (const which of ["params", "m", "v"]) {
    const file = files?.[which];
    // Plain file names only: the tensors live beside state.json.
    if (typeof file !== "string" || !/^[\w.-]+\.safetensors$/.test(file)) {
      return `"files.${which}" is ${JSON.stringify(file) ?? "missing"}, not a file name`;
    }
  }
  return undefined;
}

/** The tensors of a committed state. */
export async function loadResumeTensors(
  dir: string,
  state: ResumeState,
): Promise<{ params: Weights; m: Weights; v: Weights }> {
  const read = async (file: string) => {
    const { tensors } = await readSafetensors(join(dir, file));
    return new Map([...tensors].map(([name, t]) => [name, t.data]));
  };
  return {
    params: await read(state.files.params),
    m: await read(state.files.m),
    v: await read(state.files.v),
  };
}
