// The sweep's main thread per run against the worker's wake-up window (src/sweep/batch.ts
// REPORT_WINDOW_MS; docs/performance.md, "Where a two-worker sweep's time goes"): the
// bench's throughput grid (as bench/sweep-threads.mjs) swept in this process through the
// built runner (dist/), 2 workers, with each window in turn, interleaved, repeated.
// Printed per window: the main thread's CPU per run (/proc/thread-self/stat, 10 ms ticks,
// so take the medians over enough runs), the worker's wake-ups (messages this thread
// received) per run, and the wall time per run. Pin the whole command to one CPU
// (`taskset -c 0`) to keep threads from moving between unequal CPUs.
//
//   node bench/sweep-window.mjs [--windows 0,32,100] [--seeds 4] [--reps 3] [--workers 2]
//
// Linux only (procfs). Uses the built package (npm run build). Writes temporary files only.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseSweep } from "../dist/sweep/file.js";
import { runSweep } from "../dist/sweep/runner.js";
import { OutboxReader } from "../dist/sweep/outbox.js";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : process.argv[i + 1];
};
const windows = arg("--windows", "0,32,100").split(",").map((w) => (w === "inf" ? Number.POSITIVE_INFINITY : Number(w)));
const seeds = Number(arg("--seeds", "4"));
const reps = Number(arg("--reps", "3"));
const workers = Number(arg("--workers", "2"));
const SWEEP = {
  base: "cyclictest",
  set: { duration: "1s", "vms.0.workload.printSummary": false },
  axes: { "kvm.timerAdvance": { from: 0, to: 5000, step: 250 }, "kvm.era": ["v5.1", "v5.4"], "kvm.hvTimer": [true, false] },
  seeds,
};
const spec = parseSweep(SWEEP, "bench-window.json");
const dir = mkdtempSync(join(os.tmpdir(), "tscsim-sweep-window-"));

function threadCpuMs() {
  const stat = readFileSync("/proc/thread-self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

let wakes = 0;
const message = OutboxReader.prototype.message;
OutboxReader.prototype.message = function (m) {
  wakes++;
  return message.call(this, m);
};

const results = new Map(windows.map((w) => [w, []]));
let n = 0;
for (let r = 0; r < reps; r++) {
  for (const w of windows) {
    const out = join(dir, `out-${n++}.jsonl`);
    wakes = 0;
    const cpu0 = threadCpuMs();
    const t0 = performance.now();
    const o = await runSweep({ spec, out, workers, reportWindowMs: w });
    const wallMs = performance.now() - t0;
    const cpuMs = threadCpuMs() - cpu0;
    rmSync(out);
    results.get(w).push({ cpuPerRun: cpuMs / o.sessionDone, wakesPerRun: wakes / o.sessionDone, wallPerRun: wallMs / o.sessionDone });
  }
}
rmSync(dir, { recursive: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const span = (xs) => `${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}`;
console.log(`${workers} workers; ${spec.seeds.length * 84} runs a sweep; ${reps} reps; load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
for (const [w, xs] of results) {
  const cpu = xs.map((x) => x.cpuPerRun);
  console.log(`window ${String(w).padStart(4)} ms: main ${median(cpu).toFixed(3)} ms CPU/run (${span(cpu)}), ${median(xs.map((x) => x.wakesPerRun)).toFixed(2)} wake-ups/run, wall ${median(xs.map((x) => x.wallPerRun)).toFixed(2)} ms/run`);
}
