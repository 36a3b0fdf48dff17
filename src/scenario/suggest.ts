// "Did you mean" for keys, enum values and preset names: the closest candidate by
// optimal-string-alignment distance (case-insensitive), if it is close enough to be a typo.

function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The candidate closest to `input`, or undefined when none is within a typo's reach. */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const dist = distance(needle, c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
    }
  }
  // A third of the length (at least 2 edits): "tsckhz" -> "tscKhz", "lognorm" -> "lognormal".
  const reach = Math.max(2, Math.floor(Math.max(needle.length, 1) / 3));
  const prefix = needle.length >= 3 && best !== undefined && (best.toLowerCase().startsWith(needle) || needle.startsWith(best.toLowerCase()));
  if (best !== undefined && (bestDistance <= reach || prefix)) return best;
  return undefined;
}

/** `; did you mean "x"?` or the empty string. */
export function didYouMean(input: unknown, candidates: readonly string[]): string {
  if (typeof input !== "string" || input === "") return "";
  const c = closest(input, candidates);
  return c === undefined || c === input ? "" : `; did you mean ${JSON.stringify(c)}?`;
}
