import { deepStrictEqual, doesNotMatch, match, ok, rejects, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

import type { ChartSpec, ReportPage } from "./chart_spec.ts";
import { CHART_JS_VERSION, isNumericCell, renderReportHtml } from "./html.ts";
import {
  consoleLines,
  findChromium,
  headlessFlags,
  pngSize,
  runChromium,
  tagAttributes,
} from "./_html_chromium.ts";

const EVIL = `</script><script>document.documentElement.dataset.pwned="1"</script>`;
const ALERT = "</script><script>alert(1)</script>";

/** A page with one chart of each kind: whiskers, run ids, a reference series and a log x axis. */
function samplePage(title = `Leaderboard ${EVIL}`): ReportPage {
  const runs = (n: number) => `run-2026-01-0${n}`;
  return {
    title,
    subtitle: "Generated from 6 run records in results/runs <no markup> & friends",
    sections: [{
      heading: "Latency at batch 8, sequence 128",
      paragraphs: ["Median of five runs; whiskers span min to max.", `A paragraph with ${EVIL}`],
      tables: [{
        head: ["Model", "Params", "Median ms", "Spread", "Speed-up"],
        rows: [
          ["albert-base-v2", "11,683,584", "12.5", "12.1 ± 0.4 ms", "3.1×"],
          ["bert-base-uncased", "109,482,240", "48.0", "—", "1.0×"],
        ],
      }],
      charts: [{
        id: "latency-bar",
        title: "Latency by model",
        kind: "bar",
        xLabel: "Model",
        yLabel: "Latency (ms)",
        series: [
          {
            label: "WebGPU",
            points: [
              { x: "albert-base-v2", y: 12.5, min: 12.1, max: 13.4, run: runs(1) },
              { x: "bert-base-uncased", y: 48, min: 46.2, max: 51, run: runs(2) },
            ],
          },
          {
            label: "ONNX Runtime CPU",
            points: [{ x: "albert-base-v2", y: 30.2, min: 29, max: 33 }, {
              x: "bert-base-uncased",
              y: 91,
            }],
          },
          { label: `Paper ${EVIL}`, reference: true, points: [{ x: "albert-base-v2", y: 20 }] },
        ],
        caption: `Five runs each on lavapipe; ${EVIL}`,
      }],
    }, {
      heading: "Scaling",
      charts: [{
        id: "params-scatter",
        title: "Latency against parameters",
        kind: "scatter",
        xLabel: "Parameters",
        yLabel: "Latency (ms)",
        logX: true,
        series: [
          {
            label: "Ours",
            points: [
              { x: 11_683_584, y: 12.5, min: 12.1, max: 13.4, run: runs(3) },
              { x: 58_724_864, y: 40.1, min: 38, max: 44, run: runs(4) },
              { x: 222_595_584, y: 150, min: 141, max: 162, run: runs(5) },
            ],
          },
          {
            label: "Paper",
            reference: true,
            points: [{ x: 11_683_584, y: 10 }, { x: 222_595_584, y: 120 }],
          },
        ],
        caption: "Parameters span three orders of magnitude, hence the log axis.",
      }, {
        id: "batch-line",
        title: "Throughput against batch size",
        kind: "line",
        xLabel: "Batch size",
        yLabel: "Sequences / s",
        series: [
          {
            label: "albert-base-v2",
            points: [1, 2, 4, 8, 16].map((b, i) => ({
              x: b,
              y: 80 * b ** 0.8,
              min: 76 * b ** 0.8,
              max: 83 * b ** 0.8,
              run: runs(i + 1),
            })),
          },
          {
            label: "Paper",
            reference: true,
            points: [1, 4, 16].map((b) => ({ x: b, y: 70 * b ** 0.85 })),
          },
        ],
      }],
    }],
  };
}

const chartsOf = (page: ReportPage): ChartSpec[] => page.sections.flatMap((s) => s.charts ?? []);

Deno.test("renderReportHtml: self-contained, escaped, deterministic page", async () => {
  const page = samplePage(ALERT);
  const html = await renderReportHtml(page);
  match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  // Nothing is fetched: no remote (or protocol-relative) src/href, no external script or stylesheet.
  doesNotMatch(html, /\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
  doesNotMatch(html, /<script\b[^>]*\bsrc\s*=/i);
  doesNotMatch(html, /<link\b/i);
  // chart.js is inlined whole, license banner included.
  ok(html.includes(`Chart.js v${CHART_JS_VERSION}`), "chart.js banner is inlined");
  ok(html.includes("Released under the MIT License"), "chart.js license line is inlined");
  ok(html.length > 150_000, `page is only ${html.length} chars: chart.js missing?`);
  doesNotMatch(html, /sourceMappingURL/);
  // The malicious title is text, in <title> and <h1>; no stray script element anywhere.
  ok(!html.includes(ALERT), "raw title must not appear");
  ok(html.includes("<title>&#60;/script&#62;&#60;script&#62;alert(1)&#60;/script&#62;</title>"));
  ok(!html.includes(EVIL), "raw injected text must not appear");
  const opened = html.match(/<script\b/gi)?.length ?? 0;
  strictEqual(html.match(/<\/script>/gi)?.length, opened, "every <script> closes exactly once");
  strictEqual(opened, 4, "health, data, chart.js and drawing scripts");
  // The chart data survives the round trip through the JSON <script>.
  const data = /<script type="application\/json" id="report-charts">([^<]*)<\/script>/.exec(html);
  ok(data, "chart data script present");
  deepStrictEqual(JSON.parse(data[1]), chartsOf(page));
  // One canvas per chart; captions under them.
  for (const chart of chartsOf(page)) ok(html.includes(`<canvas id="chart-${chart.id}"`));
  match(
    html,
    /<figcaption>Parameters span three orders of magnitude, hence the log axis.<\/figcaption>/,
  );
  // Numeric columns are right-aligned, text columns are not.
  ok(html.includes('<td class="num">12.5</td>') && html.includes('<th class="num">Median ms</th>'));
  ok(html.includes('<td class="num">—</td>'), "a placeholder in a numeric column aligns too");
  ok(html.includes("<td>albert-base-v2</td>") && html.includes("<th>Model</th>"));
  strictEqual(await renderReportHtml(samplePage(ALERT)), html, "same input, same bytes");
});

Deno.test("isNumericCell: numbers with units and spreads, not words", () => {
  for (const s of ["12.5", "-3", "1,234", "1e-5", "12.1 ± 0.4 ms", "3.1×", "98%", "17.7M"]) {
    ok(isNumericCell(s), s);
  }
  for (const s of ["albert-base-v2", "v2", "", "n/a", "8 × 128 tokens"]) ok(!isNumericCell(s), s);
});

Deno.test("renderReportHtml: rejects unsafe or duplicate chart ids", async () => {
  const page = samplePage();
  chartsOf(page)[0].id = `x" onload="alert(1)`;
  await rejects(renderReportHtml(page), /letters, digits and "-"/);
  const twice = samplePage();
  chartsOf(twice)[1].id = chartsOf(twice)[0].id;
  await rejects(renderReportHtml(twice), /used twice/);
});

const CHROMIUM = findChromium();
const IN_CI = Deno.env.get("CI") !== undefined && Deno.env.get("CI") !== "";
if (CHROMIUM === undefined && !IN_CI) {
  console.warn(
    "report/html_test.ts: no chromium binary (install Debian's `chromium` or set CHROMIUM): " +
      "the headless-browser check is IGNORED, not passed.",
  );
}

Deno.test({
  name: "renderReportHtml: headless Chromium draws every chart with no errors",
  ignore: CHROMIUM === undefined && !IN_CI,
  async fn() {
    if (CHROMIUM === undefined) {
      throw new Error(
        "CI is set but no chromium binary was found on PATH (or $CHROMIUM); .ci/run installs " +
          "Debian's chromium package, so the browser check must run in CI.",
      );
    }
    const page = samplePage();
    const html = await renderReportHtml(page);
    const dir = await Deno.makeTempDir({ prefix: "report_html_test_" });
    try {
      const home = join(dir, "home");
      await Deno.mkdir(home);
      const file = join(dir, "report.html");
      await Deno.writeTextFile(file, html);
      // Negative control: the same page with chart.js replaced by a throwing script must be caught.
      const broken = join(dir, "broken.html");
      const chartJsScript = /<script>\n\/\*!\n \* Chart\.js[\s\S]*?<\/script>/;
      ok(chartJsScript.test(html), "chart.js script found for the control");
      await Deno.writeTextFile(
        broken,
        html.replace(chartJsScript, "<script>throw new Error('control')</script>"),
      );
      const screenshot = join(dir, "report.png");
      const run = (name: string, args: string[]) =>
        runChromium(
          CHROMIUM,
          [...headlessFlags(join(dir, `profile-${name}`)), ...args],
          home,
          30_000,
        );
      const [dom, shot, control] = await Promise.all([
        run("dom", ["--dump-dom", pathToFileURL(file).href]),
        run("shot", [
          `--screenshot=${screenshot}`,
          "--window-size=1280,2400",
          pathToFileURL(file).href,
        ]),
        run("control", ["--dump-dom", pathToFileURL(broken).href]),
      ]);
      for (
        const [name, r] of [["dump-dom", dom], ["screenshot", shot], ["control", control]] as const
      ) {
        ok(!r.timedOut, `chromium ${name} run timed out`);
        strictEqual(r.code, 0, `chromium ${name} run failed:\n${r.stderr.slice(-3000)}`);
      }

      // The page's own health report, read from the DOM after scripts ran.
      const body = tagAttributes(dom.stdout, "body");
      const errorsBox = /<pre id="report-errors" hidden="">([\s\S]*?)<\/pre>/.exec(dom.stdout)?.[1];
      strictEqual(
        body["data-report-status"],
        "done",
        `drawing script did not finish: ${errorsBox}`,
      );
      strictEqual(body["data-errors"], "0", `page errors:\n${errorsBox}`);
      strictEqual(errorsBox, "", "the hidden error box is empty");
      strictEqual(body["data-charts-expected"], String(chartsOf(page).length));
      strictEqual(body["data-charts-rendered"], String(chartsOf(page).length), "every chart drew");
      deepStrictEqual(consoleLines(dom.stderr), [], "no console output or uncaught errors");
      deepStrictEqual(consoleLines(shot.stderr), [], "no console output while screenshotting");
      // Injected markup stayed text.
      strictEqual(tagAttributes(dom.stdout, "html")["data-pwned"], undefined, "injection ran!");
      match(dom.stdout, /<h1>Leaderboard &lt;\/script&gt;&lt;script&gt;document/);

      // The control page must be reported as broken, by the page and by Chromium's log.
      const bad = tagAttributes(control.stdout, "body");
      strictEqual(bad["data-charts-rendered"], "0", "control: no chart can draw without chart.js");
      ok(Number(bad["data-errors"]) >= 1, "control: errors are counted");
      match(control.stdout, /Chart is not defined/);
      ok(consoleLines(control.stderr).some((l) => l.includes("Uncaught Error: control")));

      // The screenshot: a real PNG of the window size, with content.
      const png = await Deno.readFile(screenshot);
      deepStrictEqual(pngSize(png), { width: 1280, height: 2400 });
      ok(png.length > 40_000, `screenshot is only ${png.length} bytes`);
      // REPORT_HTML_KEEP=/some/file.png keeps the screenshot for a look by eye.
      if (Deno.env.get("REPORT_HTML_KEEP")) {
        await Deno.copyFile(screenshot, Deno.env.get("REPORT_HTML_KEEP")!);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
