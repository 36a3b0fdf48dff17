// The release build's wasm function names in index order (imports first), from its text
// form (build/release.wat): what V8's "wasm-function[N]" and the jump table's slots number
// (bench/native/callgrind-functions.mjs, bench/native/wasm-lines.mjs).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const RELEASE_WAT = fileURLToPath(new URL("../../build/release.wat", import.meta.url));

/** Function names in index order (imports first). */
export function functionNames(wat = RELEASE_WAT) {
  const names = [];
  for (const line of readFileSync(wat, "utf8").split("\n")) {
    const m = /^\s*\(import "[^"]*" "[^"]*" \(func \$(\S+)/.exec(line) ?? /^\s*\(func \$(\S+)/.exec(line);
    if (m) names.push(m[1]);
  }
  return names;
}
