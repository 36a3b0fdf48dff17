// `--set path=value` (issue #3 §8): a dotted path into the scenario file form (array
// indices as numbers) and a value parsed as JSON when it parses, else taken as a string.
// Applied to the raw file form before validation, so the value is checked like the file.

import { ScenarioError } from "./errors.js";
import { DEPTH_ALLOWED, nestsDeeperThan } from "./depth.js";
import { isRecord } from "../is-record.js";

const INDEX = /^(0|[1-9]\d*)$/;
/** Keys that would reach Object.prototype rather than create a field. */
const FORBIDDEN = new Set(["__proto__", "constructor", "prototype"]);

function setError(set: string, allowed: string): ScenarioError {
  return new ScenarioError([{ path: "--set", value: set, allowed }], undefined, `invalid --set ${JSON.stringify(set)}: ${allowed}`);
}

/** "vms.0.vcpus=16" -> { path: "vms.0.vcpus", value: 16 }; "host.vendor=svm" -> value "svm". */
export function parseSet(set: string): { path: string; value: unknown } {
  const eq = set.indexOf("=");
  if (eq < 0) throw setError(set, "path=value, e.g. vms.0.vcpus=16 or host.tscKhz=2.1GHz (no '=' found)");
  const path = set.slice(0, eq).trim();
  const text = set.slice(eq + 1);
  if (path === "") throw setError(set, "path=value with a non-empty dotted path before '='");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = text;
  }
  if (nestsDeeperThan(value)) throw setError(`${path}=${text.length > 40 ? `${text.slice(0, 37)}...` : text}`, `a value ${DEPTH_ALLOWED}`);
  return { path, value };
}

/**
 * Returns a copy of `raw` with `value` at the dotted `path` (raw itself is not modified).
 * Missing objects on the way are created (an array when the next key is an index; null
 * counts as missing); an array index may be at most the array's length (appending one
 * element). Throws a ScenarioError naming the --set (`label`, default path=value) on a
 * malformed path.
 */
export function applySet(raw: unknown, path: string, value: unknown, label?: string): unknown {
  const keys = path.split(".");
  const set = label ?? `${path}=${typeof value === "string" ? value : JSON.stringify(value)}`;
  keys.forEach((k, i) => {
    if (k === "") throw setError(set, `a dotted path without empty parts (part ${i + 1} of ${JSON.stringify(path)} is empty)`);
    if (FORBIDDEN.has(k)) throw setError(set, `a path into the scenario (${JSON.stringify(k)} is not a scenario key)`);
  });
  const root = raw === undefined || raw === null ? {} : raw;
  if (!isRecord(root)) throw setError(set, "a scenario that is a JSON object");

  const step = (node: unknown, depth: number): unknown => {
    if (depth === keys.length) return value;
    const key = keys[depth]!;
    const here = keys.slice(0, depth).join(".") || "the scenario";
    const nextIsIndex = depth + 1 < keys.length && INDEX.test(keys[depth + 1]!);
    const fresh = (): unknown => (nextIsIndex ? [] : {});
    if (Array.isArray(node)) {
      if (!INDEX.test(key)) throw setError(set, `an array index 0..${node.length} after ${here} (it is an array of ${node.length}), not ${JSON.stringify(key)}`);
      const index = Number(key);
      if (index > node.length) throw setError(set, `an index 0..${node.length} into ${here} (it has ${node.length} element${node.length === 1 ? "" : "s"}; an index may append at most one)`);
      const copy = node.slice();
      const child = copy[index];
      copy[index] = step(child === undefined || child === null ? fresh() : child, depth + 1);
      return copy;
    }
    if (isRecord(node)) {
      const child = Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
      return { ...node, [key]: step(child === undefined || child === null ? fresh() : child, depth + 1) };
    }
    throw setError(set, `a path through objects and arrays (${here} is ${JSON.stringify(node)}, which has no field ${JSON.stringify(key)})`);
  };
  return step(root, 0);
}

/** Apply every --set in order. */
export function applySets(raw: unknown, sets: readonly string[]): unknown {
  let out = raw;
  for (const s of sets) {
    const { path, value } = parseSet(s);
    out = applySet(out, path, value, s);
  }
  return out;
}
