/**
 * Renders a `ReportPage` as one self-contained HTML file: the CSS, the data, chart.js's UMD build
 * and the drawing code are all inlined, so the page works opened from disk with no network.
 */
import { readFile } from "node:fs/promises";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
// A static import, so `deno run`/`deno test`/`deno cache` download the npm package whose
// UMD build we inline; the ESM build itself is only used for its version.
import { Chart } from "chart.js";

import type { ChartSpec, ReportPage, ReportSection } from "./chart_spec.ts";
import { CHARTS_SCRIPT, HEALTH_SCRIPT, REPORT_CSS } from "./_html_client.ts";

/** The chart.js version the page inlines (the npm package imported here). */
export const CHART_JS_VERSION: string = Chart.version;

const UMD_FILE = join("dist", "chart.umd.js");

/** The chart.js package directory above `file` (a resolved entry point), if any. */
function packageDirAbove(file: string): string | undefined {
  let dir = dirname(file);
  for (let depth = 0; depth < 6; depth++) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, "utf8")).name === "chart.js") return dir;
      } catch {
        // Not a readable manifest: keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

/** Absolute path of chart.js's `dist/chart.umd.js`; throws listing where it looked. */
export function locateChartJsUmd(): string {
  const entries: string[] = [];
  const notes: string[] = [];
  try {
    const url = import.meta.resolve("chart.js");
    if (url.startsWith("file:")) entries.push(fileURLToPath(url));
    else notes.push(`import.meta.resolve gave ${url}`);
  } catch (e) {
    notes.push(`import.meta.resolve failed: ${(e as Error).message}`);
  }
  try {
    entries.push(createRequire(import.meta.url).resolve("chart.js"));
  } catch (e) {
    notes.push(`require.resolve failed: ${(e as Error).message}`);
  }
  const tried: string[] = [];
  for (const entry of entries) {
    const dir = packageDirAbove(entry);
    if (dir === undefined) {
      tried.push(`no chart.js package.json above ${entry}`);
      continue;
    }
    const umd = join(dir, UMD_FILE);
    if (existsSync(umd)) return umd;
    tried.push(umd);
  }
  try {
    const local = join(Deno.cwd(), "node_modules", "chart.js", UMD_FILE);
    if (existsSync(local)) return local;
    tried.push(local);
  } catch (e) {
    notes.push(`no working directory: ${(e as Error).message}`);
  }
  throw new Error(
    `chart.js UMD build (${UMD_FILE}) not found; tried: ${[...tried, ...notes].join("; ")}. ` +
      `Run \`deno install\` (deno.json maps "chart.js" to npm:chart.js) and try again.`,
  );
}

let chartJsSource: Promise<string> | undefined;

/** chart.js's UMD source, safe to inline in a <script>, read once per process. */
function chartJsForInline(): Promise<string> {
  chartJsSource ??= (async () => {
    const path = locateChartJsUmd();
    const source = await readFile(path, "utf8");
    if (!source.includes("Chart.js v")) {
      throw new Error(`${path} does not look like chart.js's UMD build (no "Chart.js v" banner)`);
    }
    return inlineScript(source.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, "\n"));
  })();
  chartJsSource.catch(() => chartJsSource = undefined);
  return chartJsSource;
}

/** `text` escaped for HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JavaScript source made safe inside <script>: no `</script`, no `<!--`. */
function inlineScript(source: string): string {
  return source.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

/** `value` as JSON that cannot end or comment out the <script> element it sits in. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

const NUMBER_CELL =
  /^[~≈<>≤≥±+\-−]?\s?\d[\d,_]*(\.\d+)?([eE][-+]?\d+)?\s?(±\s?\d[\d,]*(\.\d+)?)?\s?(%|×|x|[A-Za-zµ/]{1,8})?$/;
const PLACEHOLDER_CELL = /^(|-|—|–|n\/a|N\/A|NaN)$/;

/** Whether a table cell reads as a number (optionally with a sign, ± spread or short unit). */
export function isNumericCell(cell: string): boolean {
  return NUMBER_CELL.test(cell.trim());
}

function renderTable(table: { head: string[]; rows: string[][] }): string {
  const columns = Math.max(table.head.length, ...table.rows.map((r) => r.length));
  const numeric: boolean[] = [];
  for (let c = 0; c < columns; c++) {
    const cells = table.rows.map((r) => (r[c] ?? "").trim()).filter((s) =>
      !PLACEHOLDER_CELL.test(s)
    );
    numeric.push(cells.length > 0 && cells.every(isNumericCell));
  }
  const cell = (tag: "th" | "td", text: string, c: number) =>
    `<${tag}${numeric[c] ? ' class="num"' : ""}>${escapeHtml(text)}</${tag}>`;
  const head = table.head.map((h, c) => cell("th", h, c)).join("");
  const rows = table.rows.map((r) => `<tr>${r.map((t, c) => cell("td", t, c)).join("")}</tr>`);
  return [
    '<div class="table-wrap"><table>',
    head ? `<thead><tr>${head}</tr></thead>` : "",
    `<tbody>\n${rows.join("\n")}\n</tbody>`,
    "</table></div>",
  ].join("\n");
}

function renderChart(chart: ChartSpec): string {
  const title = escapeHtml(chart.title);
  return [
    `<figure class="chart" id="figure-${chart.id}">`,
    `<h3>${title}</h3>`,
    `<div class="chart-box"><canvas id="chart-${chart.id}" role="img" aria-label="${title}">` +
    `</canvas></div>`,
    chart.caption ? `<figcaption>${escapeHtml(chart.caption)}</figcaption>` : "",
    "</figure>",
  ].filter((line) => line !== "").join("\n");
}

function renderSection(section: ReportSection, index: number): string {
  return [
    `<section id="section-${index + 1}">`,
    `<h2>${escapeHtml(section.heading)}</h2>`,
    ...(section.paragraphs ?? []).map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(section.tables ?? []).map(renderTable),
    ...(section.charts ?? []).map(renderChart),
    "</section>",
  ].join("\n");
}

/** Throws unless every chart id is letters, digits and "-" and unique in the page. */
function checkChartIds(charts: ChartSpec[]): void {
  const seen = new Set<string>();
  for (const chart of charts) {
    if (!/^[A-Za-z0-9-]+$/.test(chart.id)) {
      throw new Error(`chart id ${JSON.stringify(chart.id)} must be letters, digits and "-"`);
    }
    if (seen.has(chart.id)) throw new Error(`chart id ${JSON.stringify(chart.id)} is used twice`);
    seen.add(chart.id);
  }
}

/** Renders `page` as one self-contained, offline HTML document with chart.js inlined. */
export async function renderReportHtml(page: ReportPage): Promise<string> {
  const charts = page.sections.flatMap((s) => s.charts ?? []);
  checkChartIds(charts);
  const chartJs = await chartJsForInline();
  const csp = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; " +
    "img-src data:; base-uri 'none'; form-action 'none'";
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    `<title>${escapeHtml(page.title)}</title>`,
    `<script>${inlineScript(HEALTH_SCRIPT)}</script>`,
    `<style>${REPORT_CSS}</style>`,
    "</head>",
    `<body data-report-status="loading" data-charts-expected="${charts.length}" ` +
    'data-charts-rendered="0" data-errors="0">',
    "<main>",
    "<header>",
    `<h1>${escapeHtml(page.title)}</h1>`,
    page.subtitle ? `<p class="subtitle">${escapeHtml(page.subtitle)}</p>` : "",
    "</header>",
    ...page.sections.map(renderSection),
    "<footer>",
    `<p>Charts drawn with Chart.js v${escapeHtml(CHART_JS_VERSION)} (MIT License), ` +
    "inlined in this file: the page needs no network.</p>",
    "</footer>",
    "</main>",
    '<pre id="report-errors" hidden></pre>',
    `<script type="application/json" id="report-charts">${jsonForScript(charts)}</script>`,
    `<script>\n${chartJs}</script>`,
    `<script>${inlineScript(CHARTS_SCRIPT)}</script>`,
    "</body>",
    "</html>",
  ].filter((line) => line !== "").join("\n") + "\n";
}
