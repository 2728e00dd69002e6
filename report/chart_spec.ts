/**
 * What the HTML report draws, independent of how: the leaderboard builds these
 * specs from run records, and `report/html.ts` renders them with chart.js.
 */

/** One point of a series; `min`/`max` draw a whisker (the five-run spread). */
export interface ChartPoint {
  /** Category label (bar charts) or x value (scatter and line charts). */
  x: string | number;
  y: number;
  min?: number;
  max?: number;
  /** Run id the point comes from, shown in the tooltip. */
  run?: string;
}

/** A named series of points. */
export interface ChartSeries {
  label: string;
  points: ChartPoint[];
  /** Drawn dashed and hollow: e.g. the papers' figures beside our runs. */
  reference?: boolean;
}

/** One chart of the report. */
export interface ChartSpec {
  /** DOM id, unique in the page: letters, digits and "-". */
  id: string;
  title: string;
  /** bar: categories on x; scatter: numeric x; line: numeric x joined in order. */
  kind: "bar" | "scatter" | "line";
  xLabel: string;
  yLabel: string;
  /** Logarithmic x axis (parameters span three orders of magnitude). */
  logX?: boolean;
  series: ChartSeries[];
  /** One sentence under the chart: what was measured, where, how many runs. */
  caption?: string;
}

/** The whole page: a title, Markdown-free prose blocks, tables and charts, in order. */
export interface ReportPage {
  title: string;
  /** Shown under the title, e.g. "Generated from 23 run records in results/runs". */
  subtitle: string;
  sections: ReportSection[];
}

/** A section: a heading, optional paragraphs, optional tables, optional charts. */
export interface ReportSection {
  heading: string;
  paragraphs?: string[];
  tables?: { head: string[]; rows: string[][] }[];
  charts?: ChartSpec[];
}
