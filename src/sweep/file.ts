// The sweep file (issue #5 §1; the keys are a contract): `base` — a preset name, a
// scenario file path (relative to the sweep file) or an inline scenario; `set` — fixed
// `{ "dotted.path": value }` overrides for every run; `axes` — per dotted path a list of
// values or a range; `seeds` — a count N (seeds 1..N) or a list; `$schema` and
// `description` for editors and people. The shape is checked by sweepFileSchema (zod,
// schema.ts), the rest here, before any run exists; every problem names its place in the
// sweep file.

import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import type { ScenarioIssue } from "../scenario/errors.js";
import { ScenarioError } from "../scenario/errors.js";
import { looksLikePath, readErrorReason, resolveScenarioRef, withDefaultName } from "../scenario/load.js";
import { applySet } from "../scenario/set.js";
import { applyHostProfile, readHostProfile } from "../calibrate/host-file.js";
import { findPreset } from "../scenario/presets.js";
import { SweepError } from "./errors.js";
import { DEPTH_ALLOWED, nestsDeeperThan } from "../scenario/depth.js";
import { canonicalJson, sha256Hex } from "./identity.js";
import { expandRange, type AxisRange } from "./range.js";
import { MAX_RUNS, sweepFileSchema, sweepIssues } from "./schema.js";
import { isRecord } from "../is-record.js";

export interface SweepAxis {
  /** Dotted path into the scenario's file form. */
  path: string;
  /** Its values in the order written (or expanded from a range). */
  values: readonly unknown[];
}

export interface SweepSpec {
  /** Where the sweep came from, for messages: the sweep file path. */
  source: string;
  base: {
    /** The base scenario in its file form, with a `name` (the preset or file name) if it had none. */
    raw: unknown;
    /** "preset cyclictest", a file path, or "inline". */
    label: string;
    /** sha256Hex(canonicalJson(raw)): part of every run's identity. */
    digest: string;
  };
  /** Fixed overrides in file order. */
  set: readonly [path: string, value: unknown][];
  /** Axes in file order: the first varies slowest. */
  axes: readonly SweepAxis[];
  seeds: readonly number[];
}

/** `axes[kvm.era]`: the dotted path is one key of the sweep file, so it is bracketed. */
function where(section: "set" | "axes", path: string): string {
  return `${section}[${path}]`;
}

function resolveBase(base: unknown, dir: string, sweepName: string, issues: ScenarioIssue[]): SweepSpec["base"] | undefined {
  if (base === undefined) base = "default";
  if (isRecord(base)) {
    const raw = withDefaultName(base, sweepName);
    return { raw, label: "inline", digest: sha256Hex(canonicalJson(raw)) };
  }
  const name = base as string;
  // A preset name wins over a file of the same name, as in `tscsim run`; anything else
  // is a path relative to the sweep file, so a sweep and its scenario travel together.
  // A bare word that is neither a preset nor a file beside the sweep is reported as an
  // unknown preset (with the list), not as a missing file.
  const asFile = resolve(dir, name);
  const ref = findPreset(name) || (!looksLikePath(name) && !existsSync(asFile)) ? name : asFile;
  try {
    const { raw, source, defaultName } = resolveScenarioRef(ref);
    const named = withDefaultName(raw, defaultName);
    return { raw: named, label: source, digest: sha256Hex(canonicalJson(named)) };
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    for (const i of err.issues) issues.push({ path: "base", value: base, allowed: i.allowed });
    return undefined;
  }
}

/** Checks that `path` is a usable dotted path by applying it to the base; issues name `at`. */
function checkPath(raw: unknown, path: string, value: unknown, at: string, issues: ScenarioIssue[]): void {
  if (path === "seed") {
    issues.push({ path: at, value, allowed: 'any scenario key but "seed": seeds come from the sweep\'s "seeds"' });
    return;
  }
  try {
    applySet(raw, path, value);
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    for (const i of err.issues) issues.push({ path: at, value, allowed: i.allowed });
  }
}

/** An axis' values: its list, or its range expanded. */
function axisValues(path: string, spec: unknown[] | AxisRange, issues: ScenarioIssue[]): unknown[] {
  if (Array.isArray(spec)) return spec;
  const expanded = expandRange(spec, where("axes", path));
  if ("issues" in expanded) {
    issues.push(...expanded.issues);
    return [];
  }
  return expanded.values;
}

/**
 * Parses and checks a sweep (the JSON value); `file` locates base paths and labels
 * errors. The shape is sweepFileSchema's (zod); then the base is resolved, every dotted
 * path is tried on it, ranges are expanded and the grid's size is bounded.
 */
export function parseSweep(raw: unknown, file: string): SweepSpec {
  // Before the validator, which walks the value recursively.
  if (nestsDeeperThan(raw)) throw new SweepError([{ path: "file", value: file, problem: "nested too deeply", allowed: DEPTH_ALLOWED.replace("a scenario needs about 6", "a sweep needs about 8") }], file);
  const parsed = sweepFileSchema.safeParse(raw);
  if (!parsed.success) throw new SweepError(sweepIssues(parsed.error, raw), file);
  const sweep = parsed.data;
  const issues: ScenarioIssue[] = [];
  const sweepName = basename(file, extname(file));
  const base = resolveBase(sweep.base, dirname(resolve(file)), sweepName, issues);
  // "host": a host profile (tscsim fit --out), relative to the sweep file, laid over the base's host.
  if (sweep.host !== undefined && base !== undefined) {
    try {
      base.raw = applyHostProfile(base.raw, readHostProfile(resolve(dirname(resolve(file)), sweep.host)));
      // The profile is part of the base: a changed profile is a different run.
      base.digest = sha256Hex(canonicalJson(base.raw));
      base.label = `${base.label} + host ${sweep.host}`;
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      for (const i of err.issues) issues.push({ path: "host", value: sweep.host, allowed: i.allowed });
    }
  }

  const set: [string, unknown][] = [];
  for (const [path, value] of Object.entries(sweep.set ?? {})) {
    if (base) checkPath(base.raw, path, value, where("set", path), issues);
    set.push([path, value]);
  }

  const axes: SweepAxis[] = [];
  for (const [path, spec] of Object.entries(sweep.axes ?? {})) {
    const values = axisValues(path, spec, issues);
    if (set.some(([p]) => p === path)) issues.push({ path: where("axes", path), value: spec, allowed: `a path not also in "set" (set[${path}] fixes it)` });
    if (base && values.length > 0) checkPath(base.raw, path, values[0], where("axes", path), issues);
    axes.push({ path, values });
  }

  const seeds = sweep.seeds === undefined ? [1] : typeof sweep.seeds === "number" ? Array.from({ length: sweep.seeds }, (_, i) => i + 1) : sweep.seeds;
  if (issues.length === 0) {
    const runs = axes.reduce((n, a) => n * a.values.length, 1) * seeds.length;
    if (runs > MAX_RUNS) issues.push({ path: "axes", value: `${axes.map((a) => a.values.length).join(" × ")} × ${seeds.length} seeds`, allowed: `a grid of at most ${MAX_RUNS.toLocaleString("en-US")} runs (this one has ${runs.toLocaleString("en-US")})` });
  }
  if (issues.length > 0 || base === undefined) throw new SweepError(issues, file);
  return { source: file, base, set, axes, seeds };
}

/** Reads and parses a sweep file. */
export function loadSweepFile(file: string): SweepSpec {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = readErrorReason(err);
    throw new SweepError([{ path: "file", value: file, allowed: `a readable JSON sweep file (${reason})` }], file, `cannot load sweep file ${JSON.stringify(file)}: ${reason}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SweepError([{ path: "file", value: file, allowed: "a JSON sweep file" }], file, `cannot load sweep file ${JSON.stringify(file)}: not valid JSON: ${(err as Error).message}`);
  }
  return parseSweep(raw, file);
}
