/**
 * The tables the leaderboard and the HTML report share: cells of text with
 * links to the run records they come from, and the formats of a measured
 * figure (median with its min–max spread, a score with its seeds, a ratio).
 */
import { formatMedianRange, formatNumber, formatSpeedup, MISSING } from "../benchmarks/format.ts";
import type { Spread } from "../runtime/stats.ts";
import { type LoadedRecord, recordDtype } from "./records.ts";
import type { DevScore } from "./scores.ts";

/** Written where no run record measured a figure. */
export const NO_RUN = "no run";

/** A link to a run record; without a label the cell's whole text links to it. */
export interface Link {
  label?: string;
  href: string;
}

/** One table cell: plain text, and the run records its figures come from. */
export interface Cell {
  text: string;
  links?: Link[];
}

/** A table of a section. */
export interface BoardTable {
  /** One line above the table, when a section has several. */
  caption?: string;
  head: string[];
  rows: Cell[][];
}

/** A section of the leaderboard, mirroring one of the papers' tables. */
export interface BoardSection {
  /** Stable id, letters, digits and "-" (the HTML report's anchors and chart ids). */
  id: string;
  heading: string;
  /** One line: where the numbers come from (shapes, adapter, scale). */
  source: string;
  tables: BoardTable[];
  /** Further lines under the tables (e.g. "no run" when a section has no table). */
  notes?: string[];
}

/** Turns a record's file name into the link written in the table. */
export type RunHref = (file: string) => string;

/** A cell of plain text. */
export function text(value: string): Cell {
  return { text: value };
}

/** The "no run" cell. */
export function noRun(): Cell {
  return { text: NO_RUN };
}

/** A figure with the record it comes from. */
export function linked(value: string, file: string, href: RunHref): Cell {
  return { text: value, links: [{ href: href(file) }] };
}

/** " (f16)" after a row of a record of the f16 engine: its rows sit beside the f32 ones. */
export function dtypeSuffix(run: LoadedRecord): string {
  return recordDtype(run.record) === "f16" ? " (f16)" : "";
}

/** A speed-up or throughput ratio with the interval its ranges allow: `3.44× (3.30–3.60)`. */
export function formatRatio(ratio: Spread, digits = 2): string {
  return `${formatSpeedup(ratio.median, digits)} (${formatNumber(ratio.min, digits)}–${
    formatNumber(ratio.max, digits)
  })`;
}

/** A speed-up's text: the ratio, or "1.00× (reference)" for the reference model itself. */
export function speedupText(model: string, speedup: { ratio: Spread; reference: string }): string {
  return model === speedup.reference ? "1.00× (reference)" : formatRatio(speedup.ratio);
}

/** One metric of a dev score: the value, or median (min–max) over seeds, and any 95% interval. */
export function formatMetric(score: DevScore, metric: string): string | undefined {
  const stat = score.metrics[metric];
  if (!stat) return undefined;
  const value = stat.n > 1 ? formatMedianRange(stat) : formatNumber(stat.median);
  return stat.ci
    ? `${value} [95% CI ${formatNumber(stat.ci.low)}–${formatNumber(stat.ci.high)}]`
    : value;
}

/** The links of a score: its record, or one per seed. */
export function scoreLinks(score: DevScore, href: RunHref): Link[] {
  if (score.runs.length === 1) return [{ href: href(score.runs[0].file) }];
  return score.runs.map((r) => ({ label: `seed ${r.seed ?? "?"}`, href: href(r.file) }));
}

/** A cell of a score's metrics joined by "/" (e.g. F1/EM), or "no run". */
export function scoreCell(
  score: DevScore | undefined,
  metrics: readonly string[],
  href: RunHref,
): Cell {
  if (!score) return noRun();
  const parts = metrics.map((m) => formatMetric(score, m));
  if (parts.some((p) => p === undefined)) return noRun();
  return { text: parts.join(" / "), links: scoreLinks(score, href) };
}

const escape = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

/** A cell as Markdown: the text, linked to its record (or followed by one link per run). */
export function cellMarkdown(cell: Cell): string {
  const body = escape(cell.text);
  const links = cell.links ?? [];
  if (links.length === 1 && links[0].label === undefined) return `[${body}](${links[0].href})`;
  const labelled = links.map((l) => `[${escape(l.label ?? "run")}](${l.href})`);
  return labelled.length ? `${body} (${labelled.join(", ")})` : body;
}

/** A table as Markdown lines. */
export function tableMarkdown(table: BoardTable): string[] {
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [
    ...(table.caption ? [table.caption, ""] : []),
    row(table.head.map(escape)),
    row(table.head.map(() => "---")),
    ...table.rows.map((r) => row(r.map(cellMarkdown))),
  ];
}

/** A paper's figure (never linked); `—` when the paper gives none. */
export function paperCell(value: number | undefined, digits = 1): Cell {
  return { text: value === undefined ? MISSING : formatNumber(value, digits) };
}
