// The one test for "a JSON object" (not null, not an array) that every reader of
// user-written JSON uses: scenario files, --set values, sweep files, results lines,
// host profiles and compare's inputs.

/** v is a plain JSON object: not null and not an array. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
