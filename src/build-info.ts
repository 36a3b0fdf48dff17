// What built a result: tscsim's version (package.json) and the SHA-256 of the wasm
// binary the process loaded. Every result and results line carries both, so a figure
// can be traced to the code that computed it, and two results from different builds
// are never mistaken for the same run (merge compares lines byte for byte).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
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

const requireHere = createRequire(import.meta.url);

/** Hex SHA-256 of the loaded wasm build's file. */
function wasmSha256(): string {
  // node:crypto loads here, not with this module: loading it is ~20 M instructions, and
  // a run printed as a table never reads the hash (docs/performance.md, start-up).
  const { createHash } = requireHere("node:crypto") as typeof import("node:crypto");
  return createHash("sha256").update(readFileSync(new URL(`build/${wasmVariant}.wasm`, ROOT))).digest("hex");
}

/**
 * The version and wasm hash, read once per process. `wasmSha256` is an enumerable
 * getter that hashes on first read and keeps the value: it reads, copies, compares and
 * serialises as a plain property does.
 */
export function buildInfo(): BuildInfo {
  if (cached === undefined) {
    let sha256: string | undefined;
    cached = Object.freeze({
      version: packageVersion(),
      wasm: wasmVariant,
      get wasmSha256(): string {
        return (sha256 ??= wasmSha256());
      },
    });
  }
  return cached;
}

