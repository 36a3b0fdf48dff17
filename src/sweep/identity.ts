// A run's identity: the first 16 hex digits (64 bits) of the SHA-256 of the canonical
// JSON of what determines its result — the base scenario's digest, the fixed `set`, the
// axis values and the seed. Canonical JSON (keys sorted at every level, no whitespace)
// makes the id independent of key order and formatting, so the same run gets the same
// id on every machine, in every shard and after a restart; that is what --resume and
// `tscsim merge` key on. 64 bits keep a collision below 1e-9 up to ~190,000 runs per
// sweep and ~3e-8 at a million.

import * as crypto from "node:crypto";

/** JSON with object keys sorted (code-unit order) at every level and no whitespace. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const s = JSON.stringify(value);
    if (s === undefined) throw new TypeError(`canonicalJson: ${String(value)} has no JSON form`);
    return s;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(",")}}`;
}

/** crypto.hash, the one-shot digest (Node 20.12+): no Hash object per call; the sweep's main thread makes one id per run. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: "hex") => string }).hash;

export function sha256Hex(text: string): string {
  return oneShot !== undefined ? oneShot("sha256", text, "hex") : crypto.createHash("sha256").update(text).digest("hex");
}

/** Hex digits kept from the SHA-256. */
const ID_HEX_DIGITS = 16;

export interface RunIdentity {
  /** sha256Hex(canonicalJson(base scenario file form)). */
  baseDigest: string;
  set: Record<string, unknown>;
  params: Record<string, unknown>;
  seed: number;
}

export function runId(identity: RunIdentity): string {
  return runIdOfCanonical(identity.baseDigest, canonicalJson(identity.set), canonicalJson(identity.params), identity.seed);
}

/**
 * runId from the canonical JSON of `set` and `params`, already made: a grid makes the
 * set's once and each parameter combination's once (grid.ts), so a run costs one SHA-256.
 * The text hashed is canonicalJson({ base, params, seed, set }) written out: its keys in
 * sorted order, each value's canonical JSON.
 */
export function runIdOfCanonical(baseDigest: string, setJson: string, paramsJson: string, seed: number): string {
  return sha256Hex(`{"base":${JSON.stringify(baseDigest)},"params":${paramsJson},"seed":${canonicalJson(seed)},"set":${setJson}}`).slice(0, ID_HEX_DIGITS);
}
