// Where a sweep's CPU goes, per thread (docs/performance.md, "Where a two-worker sweep's
// time goes"): `tscsim sweep` (the bin, dist/bundle/tscsim.cjs) and the same runs on bare
// threads (sweep-raw-worker.mjs: a sweep worker's per-run work without pool, messages or
// results file), each as a new process whose threads' CPU time is read from
// /proc/<pid>/task/*/stat every 20 ms. Threads are counted as the main thread, the N
// busiest others (the workers) and the rest (V8's helper threads: optimising compiler,
// garbage collector). Each is run on the bench's throughput grid (bench/sweep.bench.ts)
// with two seed counts; the difference over the difference in runs is the CPU per run in
// steady state, the rest the fixed part (start-up and end). CPU time, not wall time, so a
// loaded machine changes the figures less than it changes the sweep bench's; pin the whole
// command to one CPU (`taskset -c 0`) to keep the threads from moving between unequal CPUs.
//
//   node bench/sweep-threads.mjs [--workers N] [--seeds A,B] [--reps R]
//
// Linux only (procfs). Uses the built package (npm run build). Prints; writes nothing.

import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const SWEEP = {
  base: "cyclictest",
  set: { duration: "1s", "vms.0.workload.printSummary": false },
  axes: { "kvm.timerAdvance": { from: 0, to: 5000, step: 250 }, "kvm.era": ["v5.1", "v5.4"], "kvm.hvTimer": [true, false] },
};
const COMBINATIONS = 21 * 2 * 2;
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? dflt : process.argv[i + 1];
};

if (process.argv[2] === "--raw-child") {
  // The bare threads: runs 0..runs-1 of the grid with `seeds` seeds, split over `threads`.
  const [seeds, threads] = [Number(process.argv[3]), Number(process.argv[4])];
  const size = COMBINATIONS * seeds;
  const per = Math.ceil(size / threads);
  const gate = new SharedArrayBuffer(8);
  new Int32Array(gate)[1] = threads;
  await Promise.all(
    Array.from({ length: threads }, (_, t) => new Promise((resolve, reject) => {
      const w = new Worker(new URL("./sweep-raw-worker.mjs", import.meta.url), { workerData: { sweep: { ...SWEEP, seeds }, indices: Array.from({ length: Math.max(0, Math.min(per, size - t * per)) }, (_, i) => t * per + i), skip: 0, gate } });
      w.once("message", () => void w.terminate().then(resolve));
      w.once("error", reject);
    })),
  );
  process.exit(0);
}

const workers = Number(arg("--workers", "2"));
const [seedsA, seedsB] = arg("--seeds", "2,8").split(",").map(Number);
const reps = Number(arg("--reps", "3"));
const dir = mkdtempSync(join(os.tmpdir(), "tscsim-sweep-threads-"));
const CLI = fileURLToPath(new URL("../dist/bundle/tscsim.cjs", import.meta.url));
const HZ = 100; // USER_HZ on Linux

/** CPU seconds of a new process's threads: main, the `busiest` busiest others, the rest. */
async function threadCpu(args, busiest) {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const ticks = new Map();
  const poll = setInterval(() => {
    let tids;
    try {
      tids = readdirSync(`/proc/${child.pid}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      try {
        const stat = readFileSync(`/proc/${child.pid}/task/${tid}/stat`, "utf8");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        ticks.set(Number(tid), Number(f[11]) + Number(f[12]));
      } catch {
        // the thread ended between the listing and the read: its last reading stands
      }
    }
  }, 20);
  const code = await new Promise((resolve) => child.on("close", resolve));
  clearInterval(poll);
  if (code !== 0) throw new Error(`${args.join(" ")} exited ${code}: ${stderr}`);
  const main = ticks.get(child.pid) ?? 0;
  const others = [...ticks].filter(([tid]) => tid !== child.pid).map(([, t]) => t).sort((a, b) => b - a);
  const sum = (xs) => xs.reduce((a, b) => a + b, 0) / HZ;
  return { main: main / HZ, workers: sum(others.slice(0, busiest)), helpers: sum(others.slice(busiest)) };
}

function sweepArgs(seeds) {
  const file = join(dir, `sweep-${seeds}.json`);
  writeFileSync(file, JSON.stringify({ ...SWEEP, seeds }));
  const out = join(dir, `out-${seeds}.jsonl`);
  rmSync(out, { force: true });
  return [CLI, "sweep", file, "--out", out, "--workers", String(workers)];
}
const rawArgs = (seeds) => [fileURLToPath(import.meta.url), "--raw-child", String(seeds), String(workers)];

const kinds = { sweep: sweepArgs, bare: rawArgs };
// A new build's first sweep writes the bin's and the workers' code caches: one untimed
// sweep first, so that every timed one starts as a user's second sweep does (as in
// bench/sweep.bench.ts).
await threadCpu(sweepArgs(1), workers);
const classes = ["main", "workers", "helpers"];
const results = { sweep: { [seedsA]: [], [seedsB]: [] }, bare: { [seedsA]: [], [seedsB]: [] } };
for (let r = 0; r < reps; r++) {
  for (const seeds of [seedsA, seedsB]) {
    // Interleaved, so that a change in the machine's load hits both kinds.
    for (const kind of Object.keys(kinds)) results[kind][seeds].push(await threadCpu(kinds[kind](seeds), workers));
  }
}
rmSync(dir, { recursive: true, force: true });
const runsA = COMBINATIONS * seedsA;
const runsB = COMBINATIONS * seedsB;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
process.stdout.write(`${workers} worker(s)/thread(s); ${runsA} and ${runsB} runs; medians of ${reps}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}\n`);
for (const kind of Object.keys(kinds)) {
  const per = classes.map((c) => {
    const a = median(results[kind][seedsA].map((x) => x[c]));
    const b = median(results[kind][seedsB].map((x) => x[c]));
    const perRunMs = (1000 * (b - a)) / (runsB - runsA);
    return `${c} ${perRunMs.toFixed(3)} ms/run + ${(a - (perRunMs / 1000) * runsA).toFixed(2)} s fixed`;
  });
  process.stdout.write(`${kind.padEnd(5)}: ${per.join("; ")}\n`);
}
