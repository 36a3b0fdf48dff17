// One line of a results file (JSONL), one per finished run:
//   {"id", "params", "seed", "status": "ok", "result", "wallMs"}
//   {"id", "params", "seed", "status": "failed", "error", "wallMs"}
// Keys in that order, no whitespace. `result` is the run's RunResult as `tscsim run
// --format json --no-wall-time` gives it (docs/results-format.md), compacted: so every
// line except its `wallMs` is deterministic, and two lines for the same id compare equal
// once wallMs is set aside (sameRun).

import { renderCompactJson } from "../report/json.js";
import type { RunResult } from "../metrics/types.js";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "../scenario/depth.js";
import { isRecord } from "../is-record.js";

export type RunStatus = "ok" | "failed";

export interface ResultLine {
  id: string;
  params: Record<string, unknown>;
  seed: number;
  status: RunStatus;
  /** status ok: the run's result without wallMs. */
  result?: Omit<RunResult, "wallMs">;
  /** status failed: what went wrong, attempt by attempt. */
  error?: string;
  /** Wall time spent on the run in its worker (all attempts for a failed run), ms. */
  wallMs: number;
}

/**
 * What a line's result keeps: everything (`full`), or the run's aggregates only — no
 * `vcpus` array, which is ~98 % of a 64-vCPU line (`--detail aggregates`). A line's
 * detail shows in its result: `vcpus` is there or not.
 */
export type LineDetail = "full" | "aggregates";
export const LINE_DETAILS: readonly LineDetail[] = ["full", "aggregates"];

/** The result as compact JSON in the stable key order of renderJson, without wallMs. */
export function compactResultJson(result: RunResult, detail: LineDetail = "full"): string {
  // An undefined field is not written.
  return renderCompactJson(detail === "full" ? result : { ...result, vcpus: undefined as unknown as RunResult["vcpus"] }, { includeWallMs: false });
}

/** The detail a parsed ok line was written with. */
export function detailOf(line: ResultLine): LineDetail {
  return line.result !== undefined && !("vcpus" in line.result) ? "aggregates" : "full";
}

function head(id: string, params: Record<string, unknown>, seed: number): string {
  return `{"id":${JSON.stringify(id)},"params":${JSON.stringify(params)},"seed":${seed}`;
}

function ms(wallMs: number): string {
  return JSON.stringify(Math.round(wallMs * 1000) / 1000);
}

export function okLine(id: string, params: Record<string, unknown>, seed: number, resultJson: string, wallMs: number): string {
  return `${head(id, params, seed)},"status":"ok","result":${resultJson},"wallMs":${ms(wallMs)}}`;
}

export function failedLine(id: string, params: Record<string, unknown>, seed: number, error: string, wallMs: number): string {
  return `${head(id, params, seed)},"status":"failed","error":${JSON.stringify(error)},"wallMs":${ms(wallMs)}}`;
}

/** The line as a ResultLine, or a reason it is not one. */
export function parseLine(text: string): ResultLine | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (!isRecord(v)) return "not a JSON object";
  // sameRun and merge walk lines recursively; a real line nests about 7 levels.
  if (nestsDeeperThan(v)) return `nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (typeof v.id !== "string" || v.id === "") return 'no "id"';
  if (!isRecord(v.params)) return 'no "params" object';
  if (typeof v.seed !== "number") return 'no "seed"';
  if (v.status !== "ok" && v.status !== "failed") return '"status" is neither "ok" nor "failed"';
  if (v.status === "ok" && !isRecord(v.result)) return 'status "ok" without a "result" object';
  return v as unknown as ResultLine;
}

/** Two lines describe the same outcome (everything but wallMs equal). */
export function sameRun(a: ResultLine, b: ResultLine): boolean {
  return JSON.stringify({ ...a, wallMs: 0 }) === JSON.stringify({ ...b, wallMs: 0 });
}
