// A bound on how deeply user JSON may nest (issue #14 §5). JSON.parse reads any depth,
// but everything after it — the validator, canonical JSON, JSON.stringify in messages —
// walks values recursively, and a value nested 100,000 levels deep overflows the stack
// there. The deepest place in a scenario is about 6 levels down (vms.0.workload.…), a
// results line about 7, so 64 is far from any real input and far from the stack's limit.

export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests deeper than `limit` (a scalar is depth 0); iterative, so any depth is safe. */
export function nestsDeeperThan(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** For a message: what the limit is and why. */
export const DEPTH_ALLOWED = `JSON nested at most ${MAX_JSON_DEPTH} levels deep (a scenario needs about 6)`;
