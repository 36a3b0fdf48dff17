// The sweep file (issue #5 §1; the keys are a contract): `base` — a preset name, a
// scenario file path (relative to the sweep file) or an inline scenario; `set` — fixed
// `{ "dotted.path": value }` overrides for every run; `axes` — per dotted path a list of
// values or a range; `seeds` — a count N (seeds 1..N) or a list. Everything is checked
// here, before any run exists, and every problem names its place in the sweep file.

import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, resolve } from "node:path";
import type { ScenarioIssue } from "../scenario/errors.js";
import { ScenarioError } from "../scenario/errors.js";
import { looksLikePath, readErrorReason, resolveScenarioRef, withDefaultName } from "../scenario/load.js";
import { applySet } from "../scenario/set.js";
import { findPreset } from "../scenario/presets.js";
import { didYouMean } from "../scenario/suggest.js";
import { SweepError } from "./errors.js";
import { DEPTH_ALLOWED, nestsDeeperThan } from "../scenario/depth.js";
import { canonicalJson, sha256Hex } from "./identity.js";
import { expandRange, MAX_AXIS_VALUES, type AxisRange } from "./range.js";

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

const SWEEP_KEYS = ["base", "set", "axes", "seeds", "description"] as const;
/** A grid larger than this is refused: every run's id is computed on --resume and merge. */
const MAX_RUNS = 1_000_000;
const MAX_SEED = 0xffffffff;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
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
  if (typeof base !== "string" || base === "") {
    issues.push({ path: "base", value: base, allowed: "a preset name, a scenario file path (relative to the sweep file) or an inline scenario object" });
    return undefined;
  }
  // A preset name wins over a file of the same name, as in `tscsim run`; anything else
  // is a path relative to the sweep file, so a sweep and its scenario travel together.
  // A bare word that is neither a preset nor a file beside the sweep is reported as an
  // unknown preset (with the list), not as a missing file.
  const asFile = resolve(dir, base);
  const ref = findPreset(base) || (!looksLikePath(base) && !existsSync(asFile)) ? base : asFile;
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

function parseSeeds(seeds: unknown, issues: ScenarioIssue[]): number[] {
  if (seeds === undefined) return [1];
  if (typeof seeds === "number") {
    if (Number.isInteger(seeds) && seeds >= 1 && seeds <= MAX_RUNS) return Array.from({ length: seeds }, (_, i) => i + 1);
    issues.push({ path: "seeds", value: seeds, allowed: `a count 1..${MAX_RUNS.toLocaleString("en-US")} (seeds 1..N) or a list of seeds` });
    return [];
  }
  if (Array.isArray(seeds) && seeds.length > 0) {
    const seen = new Set<number>();
    seeds.forEach((s, i) => {
      if (typeof s !== "number" || !Number.isInteger(s) || s < 0 || s > MAX_SEED) issues.push({ path: `seeds.${i}`, value: s, allowed: `an integer seed 0..${MAX_SEED}` });
      else if (seen.has(s)) issues.push({ path: `seeds.${i}`, value: s, allowed: "seeds listed once each" });
      else seen.add(s);
    });
    return [...seen];
  }
  issues.push({ path: "seeds", value: seeds, allowed: "a count N (seeds 1..N) or a non-empty list of integer seeds 0..4294967295" });
  return [];
}

function parseAxis(path: string, spec: unknown, issues: ScenarioIssue[]): unknown[] {
  const at = where("axes", path);
  if (Array.isArray(spec)) {
    if (spec.length === 0) issues.push({ path: at, value: spec, allowed: "a non-empty list of values" });
    if (spec.length > MAX_AXIS_VALUES) issues.push({ path: at, value: `[${spec.length} values]`, allowed: `at most ${MAX_AXIS_VALUES.toLocaleString("en-US")} values per axis` });
    const seen = new Map<string, number>();
    spec.forEach((v, i) => {
      const key = canonicalJson(v);
      const first = seen.get(key);
      if (first !== undefined) issues.push({ path: `${at}.${i}`, value: v, allowed: `values listed once each (same as ${at}.${first})` });
      else seen.set(key, i);
    });
    return spec;
  }
  if (isRecord(spec)) {
    const keys = Object.keys(spec);
    const unknown = keys.filter((k) => k !== "from" && k !== "to" && k !== "step");
    const missing = ["from", "to", "step"].filter((k) => !(k in spec));
    if (unknown.length > 0 || missing.length > 0) {
      for (const k of unknown) issues.push({ path: `${at}.${k}`, value: spec[k], problem: "unknown key", allowed: `a range's keys: from, to, step${didYouMean(k, ["from", "to", "step"])}` });
      for (const k of missing) issues.push({ path: `${at}.${k}`, value: undefined, allowed: 'a range needs from, to and step, e.g. {"from": 0, "to": 5000, "step": 250} or {"from": "0ns", "to": "5us", "step": "250ns"}' });
      return [];
    }
    const bad = (["from", "to", "step"] as const).filter((k) => typeof spec[k] !== "number" && typeof spec[k] !== "string");
    if (bad.length > 0) {
      for (const k of bad) issues.push({ path: `${at}.${k}`, value: spec[k], allowed: 'a number or a string with units ("250ns", "2.1GHz")' });
      return [];
    }
    const expanded = expandRange(spec as unknown as AxisRange, at);
    if ("issues" in expanded) {
      issues.push(...expanded.issues);
      return [];
    }
    return expanded.values;
  }
  issues.push({ path: at, value: spec, allowed: 'a list of values or a range {"from", "to", "step"}' });
  return [];
}

/** Parses and checks a sweep (the JSON value); `file` locates base paths and labels errors. */
export function parseSweep(raw: unknown, file: string): SweepSpec {
  const issues: ScenarioIssue[] = [];
  const sweepName = basename(file, extname(file));
  if (nestsDeeperThan(raw)) throw new SweepError([{ path: "file", value: file, problem: "nested too deeply", allowed: DEPTH_ALLOWED.replace("a scenario needs about 6", "a sweep needs about 8") }], file);
  if (!isRecord(raw)) throw new SweepError([{ path: "", value: raw, allowed: 'a JSON object with keys "base", "set", "axes", "seeds"' }], file);
  for (const k of Object.keys(raw)) {
    if (!(SWEEP_KEYS as readonly string[]).includes(k)) issues.push({ path: k, value: raw[k], problem: "unknown key", allowed: `a sweep key (${SWEEP_KEYS.join(", ")})${didYouMean(k, SWEEP_KEYS)}` });
  }
  if (raw.description !== undefined && typeof raw.description !== "string") issues.push({ path: "description", value: raw.description, allowed: "a string, for people" });
  const base = resolveBase(raw.base, dirname(resolve(file)), sweepName, issues);

  const set: [string, unknown][] = [];
  if (raw.set !== undefined && !isRecord(raw.set)) issues.push({ path: "set", value: raw.set, allowed: '{"dotted.path": value, ...}, applied to every run' });
  else for (const [path, value] of Object.entries(raw.set ?? {})) {
    if (base) checkPath(base.raw, path, value, where("set", path), issues);
    set.push([path, value]);
  }

  const axes: SweepAxis[] = [];
  if (raw.axes !== undefined && !isRecord(raw.axes)) issues.push({ path: "axes", value: raw.axes, allowed: '{"dotted.path": [values] or {"from", "to", "step"}, ...}' });
  else for (const [path, spec] of Object.entries(raw.axes ?? {})) {
    const values = parseAxis(path, spec, issues);
    if (set.some(([p]) => p === path)) issues.push({ path: where("axes", path), value: spec, allowed: `a path not also in "set" (set[${path}] fixes it)` });
    if (base && values.length > 0) checkPath(base.raw, path, values[0], where("axes", path), issues);
    axes.push({ path, values });
  }

  const seeds = parseSeeds(raw.seeds, issues);
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
