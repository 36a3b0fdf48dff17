// The sweep's main thread per run against the worker's wake-up window (src/sweep/batch.ts
// REPORT_WINDOW_MS; docs/performance.md, "Fewer wake-ups: the worker's outbox"): the
// bench's throughput grid (as bench/sweep-threads.mjs) swept in this process through a
// built runner, 2 workers, with each window in turn, interleaved, repeated. Printed per
// window: the main thread's CPU per run in steady state (/proc/thread-self/stat, 10 ms
// ticks, read when the 10th run's line is written and when the 10th-to-last's is), the
// wake-ups this thread received per run (messages from the workers' batch ports), the
// messages it sent per run (runs sent ahead, piscina's tasks) and the wall time per run.
// Pin the whole command to one CPU (`taskset -c 0`) to keep threads from moving between
// unequal CPUs.
//
//   node bench/sweep-window.mjs [--windows 0,50,inf|default] [--seeds 4] [--reps 3] [--workers 2]
//                               [--dist DIR,DIR2]
//
// `default` runs each build with its own window (REPORT_WINDOW_MS) and task target.
//
// `--dist` compares builds (the default is this package's dist/); a build from before the
// outbox (no dist/sweep/outbox.js) runs once per repetition, its window shown as "-".
// Linux only (procfs). Uses a built package (npm run build). Writes temporary files only.

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { MessagePort } from "node:worker_threads";

const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : process.argv[i + 1];
};
// "default": the build's own window (batch.ts REPORT_WINDOW_MS), to compare builds as they are.
const windows = arg("--windows", "0,50,inf").split(",").map((w) => (w === "default" ? undefined : w === "inf" ? Number.POSITIVE_INFINITY : Number(w)));
const seeds = Number(arg("--seeds", "4"));
const reps = Number(arg("--reps", "3"));
const workers = Number(arg("--workers", "2"));
const dists = arg("--dist", fileURLToPath(new URL("../dist", import.meta.url))).split(",").map((d) => resolve(d));
const SWEEP = {
  base: "cyclictest",
  set: { duration: "1s", "vms.0.workload.printSummary": false },
  axes: { "kvm.timerAdvance": { from: 0, to: 5000, step: 250 }, "kvm.era": ["v5.1", "v5.4"], "kvm.hvTimer": [true, false] },
  seeds,
};
const dir = mkdtempSync(join(os.tmpdir(), "tscsim-sweep-window-"));

function threadCpuMs() {
  const stat = readFileSync("/proc/thread-self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}

// Messages this thread receives on any port and sends (counted while a sweep's steady state is timed).
let counting = false;
let received = 0;
let sent = 0;
const postMessage = MessagePort.prototype.postMessage;
MessagePort.prototype.postMessage = function (...args) {
  if (counting) sent++;
  return postMessage.apply(this, args);
};
const on = MessagePort.prototype.on;
MessagePort.prototype.on = function (name, listener) {
  if (name !== "message") return on.call(this, name, listener);
  return on.call(this, name, function (...args) {
    if (counting) received++;
    return listener.apply(this, args);
  });
};

const builds = [];
for (const d of dists) {
  const { parseSweep } = await import(pathToFileURL(join(d, "sweep/file.js")).href);
  const { runSweep } = await import(pathToFileURL(join(d, "sweep/runner.js")).href);
  const outbox = existsSync(join(d, "sweep/outbox.js"));
  builds.push({ d, spec: parseSweep(SWEEP, "bench-window.json"), runSweep, windows: outbox ? windows : [undefined] });
}

const results = new Map();
let n = 0;
for (let r = 0; r < reps; r++) {
  for (const b of builds) {
    for (const w of b.windows) {
      const key = `${b.d} window ${w === undefined ? (b.windows.length === 1 && windows[0] !== undefined ? "-" : "default") : w}`;
      const out = join(dir, `out-${n++}.jsonl`);
      const total = b.spec.seeds.length * 84;
      let cpu0 = 0;
      let t0 = 0;
      let cpu1 = 0;
      let t1 = 0;
      received = 0;
      sent = 0;
      await b.runSweep({
        spec: b.spec,
        out,
        workers,
        ...(w === undefined ? {} : { reportWindowMs: w }),
        onProgress: (p) => {
          if (p.sessionDone === 10) {
            cpu0 = threadCpuMs();
            t0 = performance.now();
            counting = true;
          } else if (p.sessionDone === total - 10) {
            counting = false;
            cpu1 = threadCpuMs();
            t1 = performance.now();
          }
        },
      });
      rmSync(out);
      const runs = total - 20;
      if (!results.has(key)) results.set(key, []);
      results.get(key).push({ cpuPerRun: (cpu1 - cpu0) / runs, receivedPerRun: received / runs, sentPerRun: sent / runs, wallPerRun: (t1 - t0) / runs });
    }
  }
}
rmSync(dir, { recursive: true });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const span = (xs) => `${Math.min(...xs).toFixed(3)}-${Math.max(...xs).toFixed(3)}`;
console.log(`${workers} workers; ${seeds * 84} runs a sweep (steady state: all but the first and last 10); ${reps} reps; load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
for (const [key, xs] of results) {
  const cpu = xs.map((x) => x.cpuPerRun);
  console.log(`  walls: ${xs.map((x) => x.wallPerRun.toFixed(1)).join(" ")}`);
  console.log(`${key}: main ${median(cpu).toFixed(3)} ms CPU/run (${span(cpu)}), ${median(xs.map((x) => x.receivedPerRun)).toFixed(2)} received/run, ${median(xs.map((x) => x.sentPerRun)).toFixed(2)} sent/run, wall ${median(xs.map((x) => x.wallPerRun)).toFixed(2)} ms/run`);
}
