// loadScenario: a preset name or a JSON file, then --set overrides, then validation
// (issue #3 §8). Every failure is a ScenarioError with one line per problem.

import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import type { ScenarioConfig } from "./types.js";
import { ScenarioError } from "./errors.js";
import { DEFAULT_PRESET, findPreset, presetNames, presetScenario } from "./presets.js";
import { scenarioFileSchema, validateScenario } from "./schema.js";
import { bareDurationWarning, bareSmallDurations } from "./bare-durations.js";
import { applySets } from "./set.js";
import { didYouMean } from "./suggest.js";
import { DEPTH_ALLOWED, nestsDeeperThan } from "./depth.js";

export { applySet, parseSet } from "./set.js";

/** A file path rather than a preset name: it has a directory part or a .json extension. */
export function looksLikePath(ref: string): boolean {
  return ref.includes("/") || ref.includes("\\") || extname(ref) !== "";
}

/** Why a file could not be read, for a message: "no such file", "it is a directory", … */
export function readErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : (err as Error).message;
}

/** Why a file could not be written, for a message. */
export function writeErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = { ENOENT: "its directory does not exist", EISDIR: "it is a directory", EACCES: "permission denied", EROFS: "a read-only file system", ENOSPC: "no space left on the device", ENOTDIR: "a part of its path is not a directory" };
  return (code !== undefined ? reasons[code] : undefined) ?? (err as Error).message;
}

/** A scenario (file form) without a name gets `name` (its preset or file name); anything else is returned as is. */
export function withDefaultName(raw: unknown, name: string): unknown {
  return typeof raw === "object" && raw !== null && !Array.isArray(raw) && !("name" in raw) ? { ...raw, name } : raw;
}

function fileError(file: string, reason: string): ScenarioError {
  return new ScenarioError([{ path: "file", value: file, allowed: `a readable JSON scenario file (${reason})` }], file, `cannot load scenario file ${JSON.stringify(file)}: ${reason}`);
}

function readScenarioFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw fileError(file, readErrorReason(err));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw fileError(file, `not valid JSON: ${(err as Error).message}`);
  }
  if (nestsDeeperThan(raw)) throw fileError(file, `nested too deeply: allowed ${DEPTH_ALLOWED}`);
  return raw;
}

/** The general presets by name; the seed scenarios (s01-… to s21-…) as a range, to keep one line. */
function listPresets(names: readonly string[]): string {
  const seeds = names.filter((n) => /^s\d\d/.test(n));
  const rest = names.filter((n) => !/^s\d\d/.test(n));
  return seeds.length === 0 ? rest.join(", ") : `${rest.join(", ")}, the seed scenarios ${seeds[0]} … ${seeds[seeds.length - 1]} (\`tscsim presets\` lists them)`;
}

/** A scenario named by a preset name or a file path, read but not yet overridden or validated. */
export interface ResolvedScenario {
  /** The file form. */
  raw: unknown;
  /** "preset <name>" or the file path: labels errors. */
  source: string;
  /** The name a nameless scenario gets: the preset's, or the file's without its extension. */
  defaultName: string;
}

/** The raw file form named by `ref` (default preset when undefined) and its label. */
export function resolveScenarioRef(ref: string | undefined): ResolvedScenario {
  const name = ref ?? DEFAULT_PRESET;
  const preset = findPreset(name);
  if (preset) return { raw: presetScenario(preset), source: `preset ${name}`, defaultName: name };
  let isFile = looksLikePath(name);
  if (!isFile) {
    try {
      readFileSync(name);
      isFile = true;
    } catch {
      // neither a preset nor a readable file: report it as a preset name
    }
  }
  if (!isFile) {
    const names = presetNames();
    throw new ScenarioError(
      [{ path: "preset", value: name, allowed: `one of ${listPresets(names)}, or a path to a JSON file${didYouMean(name, names)}` }],
      undefined,
      `unknown preset ${JSON.stringify(name)}: allowed one of ${listPresets(names)}, or a path to a JSON file${didYouMean(name, names)}`,
    );
  }
  return { raw: readScenarioFile(name), source: name, defaultName: basename(name, extname(name)) };
}

/**
 * The validated, normalised scenario of a resolved ref with `--set path=value`
 * overrides applied to the file form first (`resolved` is not modified, so one
 * resolution serves several loads).
 */
export function buildScenario(resolved: ResolvedScenario, sets: readonly string[] = [], warn?: (message: string) => void): ScenarioConfig {
  // A file without a name is named after the file.
  const raw = withDefaultName(applySets(resolved.raw, sets), resolved.defaultName);
  const config = validateScenario(raw, resolved.source);
  if (warn !== undefined) for (const d of bareSmallDurations(scenarioFileSchema, raw)) warn(bareDurationWarning(d));
  return config;
}

/**
 * The validated, normalised scenario for a preset name or JSON file path (undefined:
 * the default preset) with `--set path=value` overrides applied to the file form first.
 */
export function loadScenario(ref: string | undefined, sets: readonly string[] = [], warn?: (message: string) => void): ScenarioConfig {
  return buildScenario(resolveScenarioRef(ref), sets, warn);
}
