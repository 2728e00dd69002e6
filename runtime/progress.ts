/**
 * Progress reporting on stderr. On a terminal it draws a `cli-progress` bar
 * (label, bar, count, rate, ETA); when stderr is not a terminal (CI logs) it
 * prints one plain line per step, at most one every few seconds plus the last
 * one; with `--json` it prints nothing, so stdout and stderr stay parseable.
 */
import process from "node:process";
import cliProgress from "cli-progress";

/** How to show the progress of one loop. */
export interface ProgressOptions {
  /** What is being counted, e.g. `"albert-base-v2 b8 s128"`. */
  label: string;
  total: number;
  /** Steps already done before this display (a resumed run); the rate counts only new ones. */
  initial?: number;
  /** Unit of the rate column; defaults to `"it"`. */
  unit?: string;
  /** Print nothing at all (the command's `--json` mode). */
  silent?: boolean;
  /** Draw a live bar; defaults to whether stderr is a terminal. */
  interactive?: boolean;
  /** Least time between two plain lines; defaults to 2000 ms. */
  minIntervalMs?: number;
  /** Where plain lines go; defaults to stderr. */
  write?: (line: string) => void;
}

/** A running progress display. */
export interface Progress {
  /** Advance by `delta` steps (default 1). */
  increment(delta?: number): void;
  /** Set the number of completed steps. */
  update(value: number): void;
  /** Show a short status after the ETA, e.g. `loss 0.412`. */
  detail(text: string): void;
  /** Finish the display; call once, also on failure. */
  stop(): void;
}

/** `65.2` -> `"1m05s"`; `"--"` when unknown. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

function formatRate(rate: number): string {
  if (!Number.isFinite(rate)) return "--";
  return rate >= 100 ? rate.toFixed(0) : rate >= 10 ? rate.toFixed(1) : rate.toFixed(2);
}

const encoder = new TextEncoder();
const writeStderr = (line: string) => Deno.stderr.writeSync(encoder.encode(line + "\n"));

/** Start a progress display for `options.total` steps. */
export function createProgress(options: ProgressOptions): Progress {
  const { label, total } = options;
  const unit = options.unit ?? "it";
  const start = performance.now();
  const initial = options.initial ?? 0;
  let value = initial;
  let status = "";
  const rate = () => (value - initial) / Math.max((performance.now() - start) / 1000, 1e-9);
  const eta = () => (value > 0 ? (total - value) / rate() : Infinity);

  if (options.silent) return { increment() {}, update() {}, detail() {}, stop() {} };

  if (options.interactive ?? Deno.stderr.isTerminal()) {
    const bar = new cliProgress.SingleBar({
      format: `{label} [{bar}] {value}/{total} | {rate} ${unit}/s | ETA {remaining}{status}`,
      barsize: 30,
      hideCursor: true,
      stream: process.stderr,
    }, cliProgress.Presets.shades_classic);
    const payload = () => ({
      label,
      rate: formatRate(rate()),
      remaining: formatEta(eta()),
      status: status ? ` | ${status}` : "",
    });
    bar.start(total, initial, payload());
    let stopped = false;
    return {
      increment(delta = 1) {
        value += delta;
        bar.update(value, payload());
      },
      update(next: number) {
        value = next;
        bar.update(value, payload());
      },
      detail(text: string) {
        status = text;
      },
      stop() {
        if (!stopped) bar.stop();
        stopped = true;
      },
    };
  }

  const write = options.write ?? writeStderr;
  const minInterval = options.minIntervalMs ?? 2000;
  let lastPrinted = -Infinity;
  let printedValue = -1;
  const print = () => {
    const percent = total > 0 ? Math.floor(100 * value / total) : 100;
    write(
      `${label}: ${value}/${total} (${percent}%) | ${formatRate(rate())} ${unit}/s | ETA ${
        formatEta(eta())
      }${status ? ` | ${status}` : ""}`,
    );
    lastPrinted = performance.now();
    printedValue = value;
  };
  const step = () => {
    if (value >= total || performance.now() - lastPrinted >= minInterval) print();
  };
  return {
    increment(delta = 1) {
      value += delta;
      step();
    },
    update(next: number) {
      value = next;
      step();
    },
    detail(text: string) {
      status = text;
    },
    stop() {
      if (printedValue !== value) print();
    },
  };
}
