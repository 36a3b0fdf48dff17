// Every command a test starts keeps its V8 code cache (src/cli/code-cache.ts) in a
// directory of the test run's own, removed at the end, not in the user's ~/.cache.
// Every node process of the run (vitest's workers, each CLI a test spawns, the sweep's
// worker threads through their process) compiles wasm without Liftoff: test/no-liftoff.mjs
// says why.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

export const NO_LIFTOFF_IMPORT = `--import=${pathToFileURL(join(import.meta.dirname, "no-liftoff.mjs")).href}`;

export default function setup(): () => void {
  const dir = mkdtempSync(join(os.tmpdir(), "tscsim-test-cache-"));
  process.env.XDG_CACHE_HOME = dir;
  const options = process.env.NODE_OPTIONS ?? "";
  if (!options.split(/\s+/).includes(NO_LIFTOFF_IMPORT)) process.env.NODE_OPTIONS = `${options} ${NO_LIFTOFF_IMPORT}`.trim();
  return () => rmSync(dir, { recursive: true, force: true });
}
