// tscsim's version, as package.json says. Apart from build-info.ts (which hashes the wasm
// with node:crypto) so that `tscsim --help` and `--version` load no crypto module.

import { readFileSync } from "node:fs";

/** tscsim's version alone (for --version: it does not need the wasm). */
export function packageVersion(): string {
  // This module sits in src/ or dist/, one level below the package root.
  return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
}
