// Number formatting for people. Locale-free on purpose (no toLocaleString): the same
// result must render to the same bytes on every machine.

/** Shown where a statistic is undefined (no samples) or not kept. */
export const MISSING = "–";

/** 1234567 -> "1,234,567", with exactly `decimals` places (default 0, rounding); NaN/undefined -> "–". */
export function num(x: number | undefined, decimals = 0): string {
  if (x === undefined || Number.isNaN(x)) return MISSING;
  if (!Number.isFinite(x)) return x > 0 ? "∞" : "-∞";
  const fixed = x.toFixed(decimals);
  const negative = fixed.startsWith("-");
  const [intPart, frac] = (negative ? fixed.slice(1) : fixed).split(".") as [string, string | undefined];
  const grouped = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (negative ? "-" : "") + grouped + (frac !== undefined ? "." + frac : "");
}

/** A duration for people: "812 ns", "1.234 µs", "12.35 ms", "2.000 s". */
export function duration(ns: number): string {
  if (Number.isNaN(ns)) return MISSING;
  const a = Math.abs(ns);
  if (a < 1e3) return `${num(ns)} ns`;
  if (a < 1e6) return `${(ns / 1e3).toPrecision(4)} µs`;
  if (a < 1e9) return `${(ns / 1e6).toPrecision(4)} ms`;
  return `${num(ns / 1e9, 3)} s`;
}

/** A ratio with 3 significant digits, e.g. "2.46", "0.0312", "1,234". */
export function ratio(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? MISSING : "∞";
  return Math.abs(x) >= 1000 ? num(Math.round(x)) : Number(x.toPrecision(3)).toString();
}

/** Lays out rows of cells in columns: the first `leftColumns` left-aligned, the rest right-aligned. */
export function columns(rows: readonly (readonly string[])[], leftColumns = 0, gap = "  "): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const pad = " ".repeat(widths[i]! - [...cell].length);
        return i < leftColumns ? cell + pad : pad + cell;
      })
      .join(gap)
      .trimEnd(),
  );
}
