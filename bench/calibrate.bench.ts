// Calibration speed (issue #12 §6): `tscsim fit` lines per second on a simulated trace
// (streamed, constant memory), and how much slower `tscsim run --trace` is than the same
// run without it. Release wasm. Run with `node --import tsx bench/calibrate.bench.ts`.
// Figures are medians; CPU time (user + system of this process) is reported beside the
// wall time because the machine may be shared.

import os from "node:os";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmVariant } from "../src/wasm.js";
import { loadScenario } from "../src/scenario/load.js";
import { runScenario } from "../src/sim/run.js";
import { runTraced, traceRequest } from "../src/trace/cli-options.js";
import { fitTraces } from "../src/calibrate/fit-host.js";
import { refuseDebugWasm, writeJson } from "./report.js";
import { median } from "../src/bench/measure.js";

refuseDebugWasm(wasmVariant);

const REPS = 5;
const dir = mkdtempSync(join(os.tmpdir(), "tscsim-bench-"));
const loadStart = os.loadavg();

function timed<T>(f: () => T): { value: T; wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = f();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

interface TraceCase {
  name: string;
  sets: string[];
  trace: { vcpus?: string; window?: string };
}
const TRACE_CASES: TraceCase[] = [
  { name: "16 vCPUs, 1 s, cyclictest 200 us, whole trace", sets: ["vms.0.vcpus=16", "duration=1s"], trace: {} },
  { name: "64 vCPUs, 1 s, cyclictest 200 us, 4 vCPUs traced", sets: ["vms.0.vcpus=64", "duration=1s"], trace: { vcpus: "0-3" } },
];

const traceResults = TRACE_CASES.map((c) => {
  const config = loadScenario("cyclictest", [...c.sets, "vms.0.workload.printSummary=false"]);
  const file = join(dir, "run.txt");
  const plain: { wallMs: number; cpuMs: number }[] = [];
  const traced: { wallMs: number; cpuMs: number }[] = [];
  let bytes = 0;
  let lines = 0;
  for (let i = 0; i < REPS + 1; i++) {
    const p = timed(() => runScenario(config));
    const req = traceRequest({ trace: file, traceVcpus: c.trace.vcpus, traceWindow: c.trace.window }, config)!;
    const t = timed(() => runTraced(config, { engine: "auto" }, req));
    if (i === 0) continue; // warm-up
    plain.push(p);
    traced.push(t);
    bytes = statSync(file).size;
  }
  const fit = fitTraces([file]);
  lines = fit.stats.lines;
  const wallPlain = median(plain.map((x) => x.wallMs));
  const wallTraced = median(traced.map((x) => x.wallMs));
  const cpuPlain = median(plain.map((x) => x.cpuMs));
  const cpuTraced = median(traced.map((x) => x.cpuMs));
  const r = { name: c.name, wallMsPlain: wallPlain, wallMsTraced: wallTraced, wallRatio: wallTraced / wallPlain, cpuMsPlain: cpuPlain, cpuMsTraced: cpuTraced, cpuRatio: cpuTraced / cpuPlain, traceBytes: bytes, traceLines: lines, bytesPerLine: bytes / lines };
  console.log(`${c.name}: wall ${wallPlain.toFixed(0)} → ${wallTraced.toFixed(0)} ms (×${r.wallRatio.toFixed(2)}), cpu ×${r.cpuRatio.toFixed(2)}, ${lines} lines, ${(bytes / 1e6).toFixed(1)} MB, ${r.bytesPerLine.toFixed(1)} bytes/line`);
  return r;
});

// fit: a larger trace, read REPS times.
const fitConfig = loadScenario("cyclictest", ["vms.0.vcpus=16", "duration=2s", "vms.0.workload.printSummary=false"]);
const fitFile = join(dir, "fit.txt");
runTraced(fitConfig, { engine: "auto" }, traceRequest({ trace: fitFile, traceNs: true }, fitConfig)!);
const fitRuns = Array.from({ length: REPS + 1 }, () => timed(() => fitTraces([fitFile]))).slice(1);
const fitLines = fitRuns[0]!.value.stats.lines;
const fitResult = {
  lines: fitLines,
  bytes: statSync(fitFile).size,
  wallMs: median(fitRuns.map((r) => r.wallMs)),
  cpuMs: median(fitRuns.map((r) => r.cpuMs)),
  linesPerSecWall: fitLines / (median(fitRuns.map((r) => r.wallMs)) / 1000),
  linesPerSecCpu: fitLines / (median(fitRuns.map((r) => r.cpuMs)) / 1000),
  heapUsedMbAfter: process.memoryUsage().heapUsed / 1e6,
};
console.log(`fit: ${fitLines} lines, ${(fitResult.bytes / 1e6).toFixed(0)} MB: ${(fitResult.linesPerSecWall / 1e6).toFixed(2)} M lines/s wall, ${(fitResult.linesPerSecCpu / 1e6).toFixed(2)} M lines/s cpu`);
rmSync(dir, { recursive: true, force: true });

const out = fileURLToPath(new URL("./results/calibrate.json", import.meta.url));
writeJson(out, { node: process.version, cpus: os.cpus().length, loadavgStart: loadStart, loadavgEnd: os.loadavg(), reps: REPS, trace: traceResults, fit: fitResult });
console.log(`wrote ${out}`);
