// The sweep worker's per-run code as built, for the bench's bare threads
// (sweep-raw-worker.mjs, machine-speed-worker.mjs): its bundle,
// dist/bundle/sweep-worker-code.cjs (src/sweep/worker.ts exports runToLine and
// RunConfigMemo for this), so that a bare thread runs the very code a sweep worker runs.

import { createRequire } from "node:module";

/**
 * `run(task)` simulates one run ({ index, id, params, seed }) exactly as a sweep worker
 * does (runToLine with the "full" line) and returns its { line, interrupts, ... };
 * `data` is a sweep worker's workerData ({ baseRaw, baseLabel, set }).
 */
export function loadRunCode(data) {
  const { RunConfigMemo, runToLine } = createRequire(import.meta.url)("../dist/bundle/sweep-worker-code.cjs");
  if (typeof runToLine !== "function" || typeof RunConfigMemo !== "function") throw new Error("bench: dist/bundle/sweep-worker-code.cjs does not export runToLine and RunConfigMemo: npm run build");
  const configs = new RunConfigMemo({ baseRaw: data.baseRaw, baseLabel: data.baseLabel, set: data.set });
  return { run: (task) => runToLine(configs, task, "full") };
}
