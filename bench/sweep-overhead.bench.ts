// What a sweep costs beyond the simulation itself, per run (issue #13 target 6). The 1→2
// worker speed-up (bench/sweep.bench.ts) can only be measured honestly on a quiet machine;
// these per-run figures can be compared on a loaded one, as medians of many runs:
//  1. worker side, in this thread, the work a sweep worker does for each run
//     (src/sweep/worker.ts): runScenario with histograms, then compactResultJson. Per run:
//     the simulation's own wall time (result.wallMs), the rest of runScenario (building
//     the result: summaries, percentiles, histogram encoding), and the JSON compaction;
//     medians and the per-run overhead's share of the whole;
//  2. main thread: a sweep of the same tiny runs through runSweep on one worker; the main
//     thread's busy time (event-loop utilisation) per run — messages, lines, the results
//     file, progress, the lock's heartbeat.
// Two kinds of run: tiny (1 vCPU, 1 ms: all overhead) and the throughput bench's
// (cyclictest on 4 vCPUs; 100 ms here). `node --import tsx bench/sweep-overhead.bench.ts
// [--runs N] [--dist DIR] [--out FILE]`; --dist measures another build's dist/ (e.g. the
// code before a change) with the same bench. Writes bench/results/sweep-overhead.json.

import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median, writeJson } from "./report.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
};
const dist = resolve(arg("--dist") ?? join(root, "dist"));
const runs = Number(arg("--runs") ?? 1000);
const out = arg("--out") ?? join(root, "bench/results/sweep-overhead.json");
const from = (m: string) => import(pathToFileURL(join(dist, m)).href);

const [{ wasmVariant }, { loadScenario }, { runScenario }, { compactResultJson }, { parseSweep }, { runSweep }] = await Promise.all([
  from("wasm.js"),
  from("scenario/load.js"),
  from("sim/run.js"),
  from("sweep/line.js"),
  from("sweep/file.js"),
  from("sweep/runner.js"),
]);
if (wasmVariant !== "release") {
  process.stderr.write("bench: refusing to run on the debug wasm build (unset TSCSIM_WASM)\n");
  process.exit(2);
}

const KINDS = [
  { id: "tiny (1 vCPU, 1 ms)", sets: ["vms.0.vcpus=1", "duration=1ms", "kvm.era=v5.4", "vms.0.workload.printSummary=false"], runs },
  { id: "bench (4 vCPUs, 100 ms)", sets: ["duration=100ms", "kvm.era=v5.4", "vms.0.workload.printSummary=false"], runs: Math.max(20, Math.round(runs / 20)) },
];

function workerSide(kind: (typeof KINDS)[number]) {
  const config = loadScenario("cyclictest", kind.sets);
  const sim: number[] = [];
  const result: number[] = [];
  const json: number[] = [];
  const overhead: number[] = [];
  const warm = Math.ceil(kind.runs / 5);
  for (let i = 0; i < warm + kind.runs; i++) {
    const t0 = performance.now();
    const run = runScenario(config, { histograms: true });
    const t1 = performance.now();
    compactResultJson(run.result, "full");
    const t2 = performance.now();
    if (i < warm) continue;
    sim.push(run.result.wallMs);
    result.push(t1 - t0 - run.result.wallMs);
    json.push(t2 - t1);
    overhead.push(t2 - t0 - run.result.wallMs);
  }
  const r = (xs: number[]) => Math.round(median(xs) * 1e4) / 1e4;
  return { id: kind.id, runs: kind.runs, medianMs: { simulation: r(sim), buildResult: r(result), compactJson: r(json), overhead: r(overhead) }, overheadShare: Math.round((median(overhead) / (median(overhead) + median(sim))) * 1000) / 1000 };
}

async function mainThread(kind: (typeof KINDS)[number]) {
  const dir = mkdtempSync(join(os.tmpdir(), "tscsim-sweep-overhead-"));
  try {
    const set = Object.fromEntries(kind.sets.map((s) => s.split("=") as [string, string]).map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v === "false" ? false : v]));
    const spec = parseSweep({ base: "cyclictest", set, axes: { "kvm.timerAdvance": { from: 0, to: (Math.ceil(kind.runs / 10) - 1) * 10, step: 10 } }, seeds: 10 }, "bench");
    // From the first finished run to the last: the pool's start and the grid's validation
    // are paid once per sweep, not per run.
    let first: ReturnType<typeof performance.eventLoopUtilization> | undefined;
    let last: ReturnType<typeof performance.eventLoopUtilization> | undefined;
    let done = 0;
    const t0 = performance.now();
    const outcome = await runSweep({
      spec,
      out: join(dir, "r.jsonl"),
      workers: 1,
      onRunDone: () => {
        done++;
        if (first === undefined) first = performance.eventLoopUtilization();
        else last = performance.eventLoopUtilization();
      },
    });
    const elu = performance.eventLoopUtilization(last!, first!);
    return { id: kind.id, runs: outcome.total, wallMs: Math.round(performance.now() - t0), mainThreadBusyMsPerRun: Math.round((elu.active / (done - 1)) * 1e4) / 1e4 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const loadBefore = os.loadavg();
const t0 = performance.now();
const worker = KINDS.map(workerSide);
const main = [];
for (const k of KINDS) main.push(await mainThread(k));
const report = {
  date: new Date().toISOString(),
  // Relative to the repository, so the file does not record where a checkout happened to be.
  dist: relative(root, dist).split("\\").join("/") || ".",
  machine: { node: process.version, cpus: os.cpus().length, loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg() },
  workerSide: worker,
  mainThread: main,
  elapsedSeconds: Math.round((performance.now() - t0) / 100) / 10,
};
writeJson(out, report);
for (const w of worker) console.log(`${w.id.padEnd(26)} worker side, medians per run: simulation ${w.medianMs.simulation} ms, result ${w.medianMs.buildResult} ms, JSON ${w.medianMs.compactJson} ms → overhead ${w.medianMs.overhead} ms (${(w.overheadShare * 100).toFixed(1)} % of the run)`);
for (const m of main) console.log(`${m.id.padEnd(26)} main thread busy ${m.mainThreadBusyMsPerRun} ms per run (${m.runs} runs, 1 worker, ${m.wallMs} ms)`);
console.log(`load ${loadBefore.map((x) => x.toFixed(2)).join(" ")} → ${report.machine.loadAverageAfter.map((x) => x.toFixed(2)).join(" ")}; wrote ${out}`);
