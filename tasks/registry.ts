/**
 * Every task the harness knows, by name, in the order tables list them:
 * the GLUE tasks, SQuAD v1.1 and v2.0, and RACE.
 */
import { GLUE_ENTRIES } from "./glue/entry.ts";
import { RACE_ENTRY } from "./race/entry.ts";
import { SQUAD_ENTRIES } from "./squad/entry.ts";
import type { TaskEntry } from "./task.ts";

const ENTRIES: readonly TaskEntry[] = [...GLUE_ENTRIES, ...SQUAD_ENTRIES, RACE_ENTRY];

/** All registered tasks. */
export function taskEntries(): readonly TaskEntry[] {
  return ENTRIES;
}

/** Names of all registered tasks. */
export function taskNames(): string[] {
  return ENTRIES.map((e) => e.name);
}

/** The task called `name`; the error lists the known names. */
export function taskEntry(name: string): TaskEntry {
  const entry = ENTRIES.find((e) => e.name === name);
  if (!entry) throw new Error(`Unknown task "${name}": known tasks are ${taskNames().join(", ")}`);
  return entry;
}
