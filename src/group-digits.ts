// Whole numbers with their digits grouped by three ("1,048,576"), as en-US writes them,
// without Intl. `Number.prototype.toLocaleString` makes V8 load ICU's locale data, about
// 50 ms of a process's life: the scenario schema words its messages with these numbers
// when it is built, i.e. at the start of every `tscsim run` (docs/performance.md).

/** 1234567 -> "1,234,567", -1000n -> "-1,000"; the same bytes as toLocaleString("en-US") for whole numbers. */
export function groupDigits(n: number | bigint): string {
  // Fractions and non-finite numbers keep en-US's own rules (nothing in tscsim passes one).
  if (typeof n === "number" && !Number.isSafeInteger(n)) return n.toLocaleString("en-US");
  const s = n.toString();
  const negative = s.startsWith("-");
  const digits = negative ? s.slice(1) : s;
  return (negative ? "-" : "") + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
