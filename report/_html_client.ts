/**
 * The CSS and the inline browser scripts of the HTML report (see `report/html.ts`). They are plain
 * ES2017 source kept verbatim with `String.raw`, so they contain no `${` and no backtick.
 */

/** The page's stylesheet: system font, a max width, readable tables, fixed-height chart boxes. */
export const REPORT_CSS = String.raw`
:root {
  color-scheme: light;
  --fg: #1f2328;
  --muted: #59636e;
  --border: #d1d9e0;
  --head: #f6f8fa;
  --stripe: #fafbfc;
}
* { box-sizing: border-box; }
html { background: #fff; }
body {
  margin: 0;
  color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { max-width: 1040px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 4px; }
.subtitle { color: var(--muted); margin: 0 0 8px; }
section { margin: 36px 0; }
h2 { font-size: 1.35rem; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--border); }
p { margin: 0 0 12px; max-width: 80ch; }
.table-wrap { overflow-x: auto; margin: 16px 0; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { padding: 6px 12px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--border); }
thead th { background: var(--head); border-bottom: 2px solid var(--border); font-weight: 600; white-space: nowrap; }
tbody tr:nth-child(even) { background: var(--stripe); }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure.chart { margin: 24px 0; padding: 16px 16px 12px; border: 1px solid var(--border); border-radius: 8px; }
figure.chart h3 { font-size: 1.05rem; margin: 0 0 8px; }
.chart-box { position: relative; width: 100%; height: 360px; }
figcaption { color: var(--muted); font-size: 0.9rem; margin-top: 8px; }
footer { color: var(--muted); font-size: 0.85rem; margin-top: 40px; padding-top: 12px; border-top: 1px solid var(--border); }
@media (max-width: 640px) {
  main { padding: 16px 12px 32px; }
  .chart-box { height: 280px; }
}
@media print {
  figure.chart { break-inside: avoid; }
}
`;

/**
 * Runs first: collects page errors, failed resource loads, CSP violations, unhandled rejections
 * and console.error calls, mirrors their count into body[data-errors] and their text into
 * #report-errors, and exposes window.__reportHealth for the chart script.
 */
export const HEALTH_SCRIPT = String.raw`
(function () {
  "use strict";
  var messages = [];
  function text(value) {
    if (value && value.stack) return String(value.stack);
    if (typeof value === "string") return value;
    try { return JSON.stringify(value); } catch (_e) { return String(value); }
  }
  function sync() {
    if (!document.body) return;
    document.body.dataset.errors = String(messages.length);
    var box = document.getElementById("report-errors");
    if (box) box.textContent = messages.join("\n");
  }
  function record(message) {
    messages.push(String(message));
    sync();
  }
  window.addEventListener("error", function (event) {
    var target = event.target;
    if (target && target !== window && (target.src || target.href)) {
      record("resource failed to load: " + (target.src || target.href));
      return;
    }
    var where = event.filename ? " at " + event.filename + ":" + event.lineno + ":" + event.colno : "";
    record("error: " + (event.error ? text(event.error) : event.message) + where);
  }, true);
  window.addEventListener("unhandledrejection", function (event) {
    record("unhandled rejection: " + text(event.reason));
  });
  document.addEventListener("securitypolicyviolation", function (event) {
    record("blocked by content security policy: " + event.violatedDirective + " " + event.blockedURI);
  });
  var originalError = console.error;
  console.error = function () {
    var parts = [];
    for (var i = 0; i < arguments.length; i++) parts.push(text(arguments[i]));
    record("console.error: " + parts.join(" "));
    return originalError.apply(console, arguments);
  };
  document.addEventListener("DOMContentLoaded", sync);
  window.__reportHealth = {
    messages: messages,
    record: record,
    finish: function (rendered, expected) {
      document.body.dataset.chartsRendered = String(rendered);
      document.body.dataset.chartsExpected = String(expected);
      document.body.dataset.reportStatus = "done";
      sync();
    },
  };
})();
`;

/**
 * Runs after chart.js: builds one chart per spec in #report-charts, draws min-max whiskers and
 * dashed reference bars with a small plugin, then reports how many canvases really got drawn.
 */
export const CHARTS_SCRIPT = String.raw`
(function () {
  "use strict";
  var health = window.__reportHealth;
  var specs = [];
  var rendered = 0;
  var PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
    "#ff9da7", "#9c755f", "#bab0ac"];
  var plain = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });
  var wide = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });
  var small = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });
  var compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

  function isNum(v) { return typeof v === "number" && isFinite(v); }
  function fmt(v) {
    if (!isNum(v)) return String(v);
    var a = Math.abs(v);
    return (a >= 100 ? wide : a >= 1 || a === 0 ? plain : small).format(v);
  }
  function rgba(hex, alpha) {
    var n = parseInt(hex.slice(1), 16);
    return "rgba(" + (n >> 16) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  var whiskers = {
    id: "reportWhiskers",
    afterDatasetsDraw: function (chart) {
      var ctx = chart.ctx;
      var area = chart.chartArea;
      ctx.save();
      ctx.beginPath();
      // Clip to the plot, but let caps at the first and last x show in full.
      ctx.rect(area.left - 12, area.top, area.right - area.left + 24, area.bottom - area.top);
      ctx.clip();
      chart.data.datasets.forEach(function (ds, i) {
        if (!chart.isDatasetVisible(i)) return;
        var meta = chart.getDatasetMeta(i);
        var scale = chart.scales[meta.yAxisID];
        meta.data.forEach(function (el, j) {
          var p = ds.data[j];
          var at = el.getProps(["x", "y", "base", "width"], true);
          if (!p || !isNum(at.x) || !isNum(at.y)) return;
          if (meta.type === "bar" && ds.reference) {
            ctx.setLineDash([5, 3]);
            ctx.lineWidth = 1.5;
            ctx.strokeStyle = ds.seriesColor;
            ctx.strokeRect(at.x - at.width / 2, Math.min(at.y, at.base), at.width,
              Math.abs(at.base - at.y));
          }
          if (!isNum(p.min) || !isNum(p.max)) return;
          var top = scale.getPixelForValue(p.max);
          var bottom = scale.getPixelForValue(p.min);
          var half = meta.type === "bar" ? Math.min(8, at.width / 4) : 5;
          ctx.setLineDash([]);
          ctx.lineWidth = 1.5;
          ctx.strokeStyle = ds.whiskerColor;
          ctx.beginPath();
          ctx.moveTo(at.x, top);
          ctx.lineTo(at.x, bottom);
          ctx.moveTo(at.x - half, top);
          ctx.lineTo(at.x + half, top);
          ctx.moveTo(at.x - half, bottom);
          ctx.lineTo(at.x + half, bottom);
          ctx.stroke();
        });
      });
      ctx.restore();
    },
  };

  function dataset(spec, series, index) {
    var bar = spec.kind === "bar";
    var ref = !!series.reference;
    var color = PALETTE[index % PALETTE.length];
    var ds = {
      label: series.label,
      reference: ref,
      seriesColor: color,
      whiskerColor: bar ? "#24292f" : color,
      data: series.points.map(function (p) {
        return { x: bar ? String(p.x) : Number(p.x), y: p.y, min: p.min, max: p.max, run: p.run };
      }),
      borderColor: color,
    };
    if (bar) {
      ds.backgroundColor = rgba(color, ref ? 0.12 : 0.8);
      ds.borderWidth = ref ? 0 : 1;
    } else {
      ds.backgroundColor = ref ? "#ffffff" : color;
      ds.pointBackgroundColor = ref ? "#ffffff" : color;
      ds.pointBorderColor = color;
      ds.pointBorderWidth = ref ? 1.5 : 1;
      ds.pointStyle = ref ? "rectRot" : "circle";
      ds.pointRadius = ref ? 5 : 3.5;
      ds.pointHoverRadius = 7;
      ds.borderWidth = 2;
      ds.borderDash = ref ? [6, 4] : [];
      ds.showLine = spec.kind === "line";
      ds.fill = false;
      ds.tension = 0;
    }
    return ds;
  }

  function yRange(spec) {
    var lo = Infinity;
    var hi = -Infinity;
    spec.series.forEach(function (s) {
      s.points.forEach(function (p) {
        [p.y, p.min, p.max].forEach(function (v) {
          if (isNum(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        });
      });
    });
    return isNum(lo) ? { suggestedMin: lo, suggestedMax: hi } : {};
  }

  function legendLabels(chart) {
    var items = Chart.defaults.plugins.legend.labels.generateLabels(chart);
    items.forEach(function (item) {
      var ds = chart.data.datasets[item.datasetIndex];
      if (ds && ds.reference && chart.config.type === "bar") {
        item.lineDash = [4, 2];
        item.lineWidth = 1.5;
        item.strokeStyle = ds.seriesColor;
      }
    });
    return items;
  }

  function config(spec) {
    var bar = spec.kind === "bar";
    var labels = [];
    if (bar) {
      spec.series.forEach(function (s) {
        s.points.forEach(function (p) {
          if (labels.indexOf(String(p.x)) < 0) labels.push(String(p.x));
        });
      });
    }
    var y = yRange(spec);
    y.beginAtZero = bar;
    y.title = { display: !!spec.yLabel, text: spec.yLabel };
    var logTicks = {
      callback: function (value, i, ticks) {
        var shown = Chart.Ticks.formatters.logarithmic.call(this, value, i, ticks);
        return shown === "" ? "" : compact.format(value);
      },
    };
    var x = {
      type: bar ? "category" : spec.logX ? "logarithmic" : "linear",
      title: { display: !!spec.xLabel, text: spec.xLabel },
      grid: { display: !bar },
    };
    if (!bar && spec.logX) x.ticks = logTicks;
    return {
      type: bar ? "bar" : spec.kind === "line" ? "line" : "scatter",
      data: {
        labels: bar ? labels : undefined,
        datasets: spec.series.map(function (s, i) { return dataset(spec, s, i); }),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: bar ? { mode: "index", intersect: false } : { mode: "nearest", intersect: false },
        scales: { x: x, y: y },
        plugins: {
          legend: {
            position: "bottom",
            labels: { usePointStyle: spec.kind === "scatter", generateLabels: legendLabels },
          },
          tooltip: {
            callbacks: {
              title: function (items) {
                if (!items.length) return "";
                var raw = items[0].raw || {};
                return bar ? String(raw.x) : (spec.xLabel || "x") + ": " + fmt(raw.x);
              },
              label: function (item) {
                var p = item.raw || {};
                var line = item.dataset.label + ": " + fmt(p.y);
                if (isNum(p.min) && isNum(p.max)) line += " (min " + fmt(p.min) + ", max " + fmt(p.max) + ")";
                return line;
              },
              afterLabel: function (item) {
                var p = item.raw || {};
                return p.run ? "run: " + p.run : "";
              },
            },
          },
        },
      },
      plugins: [whiskers],
    };
  }

  function drawn(canvas, chart) {
    if (!chart || Chart.getChart(canvas) !== chart) return false;
    if (!(canvas.width > 0 && canvas.height > 0)) return false;
    var pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (var i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
    return false;
  }

  try {
    specs = JSON.parse(document.getElementById("report-charts").textContent || "[]");
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = "#1f2328";
  } catch (e) {
    health.record("chart setup: " + (e && e.stack ? e.stack : e));
  }
  specs.forEach(function (spec) {
    try {
      var canvas = document.getElementById("chart-" + spec.id);
      if (!canvas) throw new Error("no canvas for chart " + spec.id);
      if (drawn(canvas, new Chart(canvas, config(spec)))) rendered++;
      else health.record("chart " + spec.id + ": canvas is blank");
    } catch (e) {
      health.record("chart " + spec.id + ": " + (e && e.stack ? e.stack : e));
    }
  });
  health.finish(rendered, specs.length);
})();
`;
