// `tscsim verify` (issue #14 §3): a results file checked against its sweep. Determinism
// (same scenario + seed ⇒ the same bytes) makes the check exact: a sample of the ok
// lines is recomputed and each line must equal, byte for byte (wallMs aside), the line
// the sweep would write now. Every line's id is also checked against its params and seed
// (a line whose params, seed or id was edited, or that comes from another sweep, is named).
// The sample is drawn by reservoir sampling with a seeded generator, so the same file and
// --seed check the same runs; the file is streamed, one line at a time.

import { runScenario } from "../sim/run.js";
import type { SweepSpec } from "./file.js";
import { runId } from "./identity.js";
import { compactResultJson, detailOf, okLine, type ResultLine } from "./line.js";
import { scanResults, type TornTail } from "./results-file.js";
import { configOfRun } from "./scenario-of-run.js";
import { seededUniform } from "../seeded-uniform.js";

export interface VerifyProblem {
  lineNo: number;
  id: string;
  /** What is wrong, for people: "its id is not that of its params and seed", "result differs at latency.ns.p99 (…)". */
  problem: string;
}

export interface VerifyReport {
  lines: number;
  okLines: number;
  /** Lines recomputed. */
  checked: number;
  /** Recomputed lines equal to the file's. */
  matched: number;
  problems: VerifyProblem[];
  torn: TornTail | null;
}


/** The line's text with its wallMs set to 0 (the only field that is not deterministic). */
function withoutWall(text: string): string {
  return text.replace(/,"wallMs":[^,}]*}$/, ',"wallMs":0}');
}

/** The first path where two JSON values differ, with both values, for a message. */
export function firstDifference(a: unknown, b: unknown, path = ""): string | undefined {
  if (typeof a !== typeof b || a === null || b === null || typeof a !== "object") {
    return JSON.stringify(a) === JSON.stringify(b) ? undefined : `${path === "" ? "(whole result)" : path}: file ${JSON.stringify(a)}, recomputed ${JSON.stringify(b)}`;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])];
  for (const k of keys) {
    const d = firstDifference(ao[k], bo[k], path === "" ? k : `${path}.${k}`);
    if (d !== undefined) return d;
  }
  // Same values, different bytes (key order, number spelling).
  return JSON.stringify(a) === JSON.stringify(b) ? undefined : `${path === "" ? "(whole line)" : path}: same values written differently`;
}

interface Sampled {
  line: ResultLine;
  text: string;
  lineNo: number;
}

/** Checks `file` against `spec`: every id, and `sample` recomputed ok lines (Infinity: all). */
export function verifyResults(file: string, spec: SweepSpec, sample: number, seed = 1): VerifyReport {
  const setRecord = Object.fromEntries(spec.set);
  const base = { baseRaw: spec.base.raw, baseLabel: spec.base.label, set: spec.set };
  const problems: VerifyProblem[] = [];
  const reservoir: Sampled[] = [];
  const random = seededUniform(seed);
  let lines = 0;
  let okLines = 0;
  const read = scanResults(file, (line, text, lineNo) => {
    lines++;
    const id = runId({ baseDigest: spec.base.digest, set: setRecord, params: line.params, seed: line.seed });
    if (id !== line.id) {
      problems.push({ lineNo, id: line.id, problem: `its id is not that of its params and seed in this sweep (${id}): an edited line, or a line of another sweep` });
      return;
    }
    if (line.status !== "ok") return;
    okLines++;
    // Reservoir sampling (Algorithm R): each ok line ends in the sample with probability sample/okLines.
    if (reservoir.length < sample) reservoir.push({ line, text, lineNo });
    else {
      const j = Math.floor(random() * okLines);
      if (j < sample) reservoir[j] = { line, text, lineNo };
    }
  }, (bad) => {
    lines++;
    problems.push({ lineNo: bad.lineNo, id: "?", problem: `is unreadable (${bad.reason}): tscsim sweep --resume --repair moves such lines aside` });
  });
  reservoir.sort((a, b) => a.lineNo - b.lineNo);
  let matched = 0;
  for (const { line, text, lineNo } of reservoir) {
    let json: string;
    try {
      // As the sweep's workers run it (worker.ts): lines carry the histograms.
      const { result } = runScenario(configOfRun(base, line.params, line.seed), { histograms: true });
      json = compactResultJson(result, detailOf(line));
    } catch (err) {
      problems.push({ lineNo, id: line.id, problem: `its run cannot be recomputed: ${(err as Error).message.split("\n")[0]}` });
      continue;
    }
    const expected = okLine(line.id, line.params, line.seed, json, 0);
    const got = withoutWall(text);
    if (expected === got) {
      matched++;
      continue;
    }
    const diff = firstDifference(JSON.parse(got), JSON.parse(expected)) ?? "bytes differ";
    problems.push({ lineNo, id: line.id, problem: `differs from its recomputation at ${diff}` });
  }
  problems.sort((a, b) => a.lineNo - b.lineNo);
  return { lines, okLines, checked: reservoir.length, matched, problems, torn: read.torn };
}
