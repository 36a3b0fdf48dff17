// A host profile file (what `tscsim fit` writes): the `host` object of a scenario, usually
// just its `delays`. `tscsim run --host FILE` and a sweep's "host" key lay it over the
// scenario's own host: each delay it names replaces the scenario's, other keys likewise.

import { readFileSync } from "node:fs";
import { ScenarioError } from "../scenario/errors.js";
import { readErrorReason } from "../scenario/load.js";
import { isRecord } from "../is-record.js";

export type HostProfile = Record<string, unknown> & { delays?: Record<string, unknown> };

function hostFileError(file: string, reason: string): ScenarioError {
  return new ScenarioError([{ path: "host", value: file, allowed: `a readable JSON host profile such as {"delays": {...}} (${reason})` }], file, `cannot load host profile ${JSON.stringify(file)}: ${reason}`);
}

/** Reads a host profile: a JSON object (the scenario's `host` object), or a whole scenario whose `host` is taken. */
export function readHostProfile(file: string): HostProfile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw hostFileError(file, readErrorReason(err));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw hostFileError(file, `not valid JSON: ${(err as Error).message}`);
  }
  if (!isRecord(raw)) throw hostFileError(file, "not a JSON object");
  const host = "host" in raw && isRecord(raw.host) ? raw.host : raw;
  if ("delays" in host && !isRecord(host.delays)) throw hostFileError(file, '"delays" is not an object');
  return host as HostProfile;
}

/** The scenario (file form) with the profile laid over its host: delays name by name, other keys replaced. */
export function applyHostProfile(raw: unknown, profile: HostProfile): unknown {
  if (!isRecord(raw)) return raw;
  const host = isRecord(raw.host) ? raw.host : {};
  const delays = isRecord(host.delays) ? host.delays : {};
  const merged: Record<string, unknown> = { ...host, ...profile };
  if (profile.delays !== undefined) merged.delays = { ...delays, ...profile.delays };
  return { ...raw, host: merged };
}
