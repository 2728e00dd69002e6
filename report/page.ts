/**
 * The HTML report's page (`ReportPage`): the leaderboard's sections as plain
 * tables, with charts beside them: speed-up and score bars (min–max whiskers),
 * throughput against parameters, the PALs averages, and training loss curves.
 * A chart with no data is left out; the loss curves say "no run" instead.
 */
import { countEncoderParameters } from "../models/params.ts";
import { zoo } from "../models/zoo.ts";
import type {
  ChartPoint,
  ChartSeries,
  ChartSpec,
  ReportPage,
  ReportSection,
} from "./chart_spec.ts";
import { ALBERT_TABLE_2, type PaperTable2Row } from "./paper.ts";
import { byZooOrder, TABLE_2_TASKS } from "./albert.ts";
import { type BoardSection, NO_RUN } from "./cells.ts";
import {
  type LeaderboardOptions,
  leaderboardSections,
  palsMethodLabel,
  type PalsRow,
  recordsSummary,
} from "./leaderboard.ts";
import {
  benchedModels,
  newestMeasurement,
  newestOfKind,
  newestSpeedup,
  ofKind,
  type RunSet,
} from "./records.ts";
import { type DevScore, devScores, scoreOf } from "./scores.ts";
import { runId, trainMethodParts } from "../runtime/records.ts";
import { isSpread } from "../runtime/stats.ts";
import { trainOutcomes } from "./validate.ts";

/** Drop series without points, and the chart when none is left. */
function chart(spec: ChartSpec): ChartSpec[] {
  const series = spec.series.filter((s) => s.points.length > 0);
  return series.some((s) => !s.reference) ? [{ ...spec, series }] : [];
}

/** Speed-up bars: ours (inference, training) and the paper's training speed-up. */
function speedupChart(set: RunSet): ChartSpec[] {
  const ours = (mode: "inference" | "train", label: string): ChartSeries => ({
    label,
    points: benchedModels(set, mode).sort(byZooOrder).flatMap((model) => {
      const s = newestSpeedup(set, model, mode);
      return s
        ? [{
          x: model,
          y: s.ratio.median,
          min: s.ratio.min,
          max: s.ratio.max,
          run: runId(s.run.file),
        }]
        : [];
    }),
  });
  return chart({
    id: "speedup",
    title: "Speed-up over BERT-large",
    kind: "bar",
    xLabel: "model",
    yLabel: "throughput / BERT-large",
    series: [
      ours("inference", "ours, WebGPU inference"),
      ours("train", "ours, training"),
      {
        label: "paper (training)",
        reference: true,
        points: ALBERT_TABLE_2.filter((r) => r.speedup !== undefined).map((r) => ({
          x: r.model,
          y: r.speedup!,
        })),
      },
    ],
    caption:
      "Same-run ratios with the widest interval the five-repetition ranges allow; the paper's figure is training throughput at full scale.",
  });
}

const paperScore = (row: PaperTable2Row, task: string, metric: string): number | undefined => {
  if (task === "squad/v1.1") return metric === "f1" ? row.squad11.f1 : row.squad11.em;
  if (task === "squad/v2.0") return metric === "f1" ? row.squad20.f1 : row.squad20.em;
  return task === "glue/mnli-m" ? row.mnli : task === "glue/sst2" ? row.sst2 : row.race;
};

/** One bar chart per Table 2 column with a score: ours with min–max whiskers, the paper's beside. */
function scoreCharts(scores: readonly DevScore[]): ChartSpec[] {
  return TABLE_2_TASKS.flatMap((column) => {
    const metric = column.metrics[0];
    const models = [
      ...new Set(
        scores.filter((s) => s.method === "" && s.task === column.task).map((s) => s.model),
      ),
    ]
      .sort(byZooOrder);
    const points: ChartPoint[] = models.flatMap((model) => {
      const score = scoreOf(scores, model, column.task)!;
      const stat = score.metrics[metric];
      if (!stat) return [];
      const spread = stat.n > 1
        ? { min: stat.min, max: stat.max }
        : stat.ci
        ? { min: stat.ci.low, max: stat.ci.high }
        : {};
      return [{ x: model, y: stat.median, ...spread, run: runId(score.runs[0].file) }];
    });
    return chart({
      id: `score-${column.head.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
      title: `${column.head} (dev)`,
      kind: "bar",
      xLabel: "model",
      yLabel: column.head,
      series: [
        { label: "ours", points },
        {
          label: "paper",
          reference: true,
          points: ALBERT_TABLE_2.map((r) => ({
            x: r.model,
            y: paperScore(r, column.task, metric)!,
          })),
        },
      ],
      caption: "Whiskers: min–max over seeds (or the 95% bootstrap interval of one evaluation).",
    });
  });
}

/** Throughput against parameters, both backends, from each model's newest inference run. */
function throughputChart(set: RunSet): ChartSpec[] {
  const series = (label: string, field: "webgpu" | "ort"): ChartSeries => ({
    label,
    points: benchedModels(set, "inference").sort(byZooOrder).flatMap((model) => {
      const found = newestMeasurement(set, model, "inference");
      const value = found?.entry[field];
      if (!found || !isSpread(value)) return [];
      const known = zoo().find((e) => e.name === model);
      const params = found.entry.params ??
        (known ? countEncoderParameters(known.config) : undefined);
      if (params === undefined) return [];
      return [{
        x: params,
        y: value.median,
        min: value.min,
        max: value.max,
        run: runId(found.run.file),
      }];
    }),
  });
  return chart({
    id: "throughput-params",
    title: "Inference throughput against parameters",
    kind: "scatter",
    xLabel: "parameters",
    yLabel: "sequences/s",
    logX: true,
    series: [series("WebGPU", "webgpu"), series("ONNX Runtime (CPU)", "ort")],
    caption: "Each model's newest inference bench run, at that run's batch and sequence length.",
  });
}

/** The PALs table's average per method. */
function palsChart(set: RunSet): ChartSpec[] {
  const run = newestOfKind(set, "pals-table");
  if (!run) return [];
  const rows = run.record.rows as PalsRow[];
  return chart({
    id: "pals-average",
    title: "GLUE dev average per method",
    kind: "bar",
    xLabel: "method",
    yLabel: "average score",
    series: [{
      label: "ours",
      points: rows.filter((r) => typeof r.average === "number").map((r) => ({
        x: r.method.schedule
          ? `${palsMethodLabel(r.method)} (${r.method.schedule})`
          : palsMethodLabel(r.method),
        y: r.average!,
        run: runId(run.file),
      })),
    }],
  });
}

/** Loss curves of full-data train records with a `lossCurve`, the newest per model, tasks and seed. */
function lossCharts(set: RunSet): ChartSpec[] {
  const seen = new Map<string, ChartSeries>();
  for (const { file, record } of ofKind(set, "train")) {
    if (!Array.isArray(record.lossCurve) || (record.limit ?? null) !== null) continue;
    const tasks = trainOutcomes(record).map((t) => t.task).join("+");
    const method = trainMethodParts(record).join(" ");
    const label = `${record.model} ${tasks}${method ? ` ${method}` : ""} seed ${record.seed ?? 0}`;
    if (seen.has(label)) continue;
    const points = (record.lossCurve as unknown[])
      .filter((p): p is [number, number] => Array.isArray(p) && p.every(Number.isFinite))
      .map(([step, loss]) => ({ x: step, y: loss, run: runId(file) }));
    seen.set(label, { label, points });
  }
  return chart({
    id: "loss-curves",
    title: "Training loss",
    kind: "line",
    xLabel: "step",
    yLabel: "loss",
    series: [...seen.keys()].sort().map((k) => seen.get(k)!),
    caption: "Training loss of full-data train runs, the newest per model, tasks, method and seed.",
  });
}

/** A leaderboard section as a page section: its source line, notes and tables as plain text. */
function pageSection(section: BoardSection, charts: ChartSpec[]): ReportSection {
  const captions = section.tables.flatMap((t) => (t.caption ? [t.caption] : []));
  return {
    heading: section.heading,
    paragraphs: [section.source, ...captions, ...(section.notes ?? [])],
    tables: section.tables.map((t) => ({
      head: t.head,
      rows: t.rows.map((r) => r.map((c) => c.text)),
    })),
    ...(charts.length ? { charts } : {}),
  };
}

/** The HTML report's page for a run set. */
export function reportPage(set: RunSet, options: LeaderboardOptions): ReportPage {
  const scores = devScores(set);
  const charts: Record<string, ChartSpec[]> = {
    "albert-table-2": [...speedupChart(set), ...scoreCharts(scores)],
    "pals": palsChart(set),
    "kernels": throughputChart(set),
  };
  const sections = leaderboardSections(set, options).map((s) => pageSection(s, charts[s.id] ?? []));
  const loss = lossCharts(set);
  sections.push({
    heading: "Training loss curves",
    paragraphs: loss.length ? ["From the lossCurve of train run records."] : [NO_RUN],
    ...(loss.length ? { charts: loss } : {}),
  });
  return {
    title: "ALBERT and BERT-and-PALs on WebGPU: leaderboard",
    subtitle: `Generated by deno task harness report from ${
      recordsSummary(set)
    } in ${options.runsPath}/`,
    sections,
  };
}
