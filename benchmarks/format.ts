/**
 * Number formatting shared by every table the harness prints or writes, so a
 * figure looks the same in the terminal, in `LEADERBOARD.md` and in reports.
 * Locale-independent: always `,` for thousands and `.` for decimals.
 */

/** Shown where a figure is missing or not finite. */
export const MISSING = "—";

const formatters = new Map<number, Intl.NumberFormat>();

function fixed(digits: number): Intl.NumberFormat {
  let format = formatters.get(digits);
  if (!format) {
    format = new Intl.NumberFormat("en-US", {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
      useGrouping: true,
    });
    formatters.set(digits, format);
  }
  return format;
}

/** `1234.56` -> `"1,234.6"` with `digits` decimals (default 1); `"—"` when not finite. */
export function formatNumber(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? MISSING : fixed(digits).format(value);
}

/** An exact count with thousands separators: `11683584` -> `"11,683,584"`. */
export function formatCount(value: number | undefined): string {
  return formatNumber(value, 0);
}

/** A median with its range: `"12.3 (11.9–12.8)"`. */
export function formatMedianRange(
  summary: { median: number; min: number; max: number } | undefined,
  digits = 1,
): string {
  if (!summary) return MISSING;
  const { median, min, max } = summary;
  return `${formatNumber(median, digits)} (${formatNumber(min, digits)}–${
    formatNumber(max, digits)
  })`;
}

/** A speed-up relative to a reference: `1` -> `"1.00×"`. */
export function formatSpeedup(ratio: number | undefined, digits = 2): string {
  const text = formatNumber(ratio, digits);
  return text === MISSING ? MISSING : `${text}×`;
}

/** A parameter multiplier as the PALs paper writes it: `1.1333` -> `"×1.133"`. */
export function formatMultiplier(ratio: number | undefined, digits = 3): string {
  const text = formatNumber(ratio, digits);
  return text === MISSING ? MISSING : `×${text}`;
}

/** A parameter count in millions as the papers round it: `11683584` -> `"11.7M"`. */
export function formatMillions(value: number | undefined, digits = 1): string {
  const text = formatNumber(value === undefined ? undefined : value / 1e6, digits);
  return text === MISSING ? MISSING : `${text}M`;
}

/** A fraction as a percentage: `0.8512` -> `"85.1%"`. */
export function formatPercent(fraction: number | undefined, digits = 1): string {
  const text = formatNumber(fraction === undefined ? undefined : fraction * 100, digits);
  return text === MISSING ? MISSING : `${text}%`;
}
