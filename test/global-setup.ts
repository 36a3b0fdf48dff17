// Every command a test starts keeps its V8 code cache (src/cli/code-cache.ts) in a
// directory of the test run's own, removed at the end, not in the user's ~/.cache.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const dir = mkdtempSync(join(os.tmpdir(), "tscsim-test-cache-"));
  process.env.XDG_CACHE_HOME = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
