// What built a result: tscsim's version (package.json) and the SHA-256 of the wasm
// binary the process loaded. Every result and results line carries both, so a figure
// can be traced to the code that computed it, and two results from different builds
// are never mistaken for the same run (merge compares lines byte for byte).

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { wasmVariant } from "./wasm.js";
import { packageVersion } from "./package-version.js";

export interface BuildInfo {
  /** tscsim's version, as package.json says. */
  version: string;
  /** Which wasm build ran: "release" (the CLI), or "debug" (the test suite). */
  wasm: "debug" | "release";
  /** Hex SHA-256 of that build's .wasm file. */
  wasmSha256: string;
}

let cached: BuildInfo | undefined;

/** The package root: this module sits in src/ or dist/, one level below it. */
const ROOT = new URL("../", import.meta.url);

/** The version and wasm hash, read once per process. */
export function buildInfo(): BuildInfo {
  if (cached === undefined) {
    const wasmBytes = readFileSync(new URL(`build/${wasmVariant}.wasm`, ROOT));
    cached = Object.freeze({ version: packageVersion(), wasm: wasmVariant, wasmSha256: createHash("sha256").update(wasmBytes).digest("hex") });
  }
  return cached;
}

