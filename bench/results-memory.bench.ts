// `tscsim run` at 10^5 and 10^6 vCPUs (issue #13 target 3): peak RSS per vCPU above the
// process's baseline, and the share of the process's CPU time spent building and writing
// the results, for the JSON and the table. Each case runs in its own process
// (bench/results-memory-child.ts), so each peak is that run's alone. Release wasm.
//   node --import tsx bench/results-memory.bench.ts [--reps N] [--cases 100000:10ms:json,...] [--out PATH]
// (a case's format: json, table, or library = the library's runScenario, then its JSON)

import os from "node:os";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { wasmVariant } from "../src/wasm.js";
import { median, refuseDebugWasm, writeJson } from "./report.js";

refuseDebugWasm(wasmVariant);

interface Case {
  vcpus: number;
  duration: string;
  /** library: the library's runScenario (every vCPU's result kept), then its JSON. */
  format: "json" | "table" | "library";
}

interface ChildResult extends Case {
  peakRssBytes: number;
  baselineRssBytes: number;
  peakAboveBaselineBytesPerVcpu: number;
  wasmMemoryBytes: number;
  simulationCpuMs: number;
  resultsCpuMs: number;
  processCpuMs: number;
  resultsShareOfProcess: number;
}

// 10^5 at 10 ms and 100 ms (the share falls as the simulation grows; the results' cost
// does not depend on the duration); 10^6 at 2 ms (memory does not depend on it either).
const DEFAULT_CASES: Case[] = [
  { vcpus: 100_000, duration: "10ms", format: "json" },
  { vcpus: 100_000, duration: "10ms", format: "table" },
  { vcpus: 100_000, duration: "100ms", format: "json" },
  { vcpus: 1_000_000, duration: "2ms", format: "json" },
  { vcpus: 1_000_000, duration: "2ms", format: "table" },
];
/** The budget: peak RSS above the baseline, bytes per vCPU. */
const PEAK_BYTES_PER_VCPU = 1200;
/** The budget: building and writing the results, share of the process's CPU time at 10^5 vCPUs. */
const RESULTS_SHARE = 0.2;

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

function parseCases(spec: string): Case[] {
  return spec.split(",").map((c) => {
    const [vcpus, duration, format] = c.split(":");
    if (!(Number(vcpus) >= 1) || duration === undefined || (format !== "json" && format !== "table" && format !== "library")) throw new Error(`--cases: "${c}" is not VCPUS:DURATION:json|table|library`);
    return { vcpus: Number(vcpus), duration, format };
  });
}

const reps = Number(flag("--reps") ?? 1);
const cases = flag("--cases") === undefined ? DEFAULT_CASES : parseCases(flag("--cases")!);
const outPath = flag("--out") ?? fileURLToPath(new URL("./results/results-memory.json", import.meta.url));
const child = fileURLToPath(new URL("./results-memory-child.ts", import.meta.url));
const dir = mkdtempSync(join(os.tmpdir(), "tscsim-results-memory-"));
const loadAtStart = os.loadavg()[0]!;
const started = Date.now();

const rows: { case: Case; runs: ChildResult[]; median: { peakAboveBaselineBytesPerVcpu: number; resultsShareOfProcess: number; resultsCpuMs: number; simulationCpuMs: number } }[] = [];
try {
  for (const c of cases) {
    const runs: ChildResult[] = [];
    for (let r = 0; r < reps; r++) {
      const out = join(dir, `out.${c.format}`);
      const p = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", child, String(c.vcpus), c.duration, c.format, out], { encoding: "utf8", maxBuffer: 1 << 20 });
      if (p.status !== 0) throw new Error(`${c.vcpus} vCPUs ${c.duration} ${c.format}: exit ${p.status}\n${p.stderr}`);
      runs.push(JSON.parse(p.stdout.trim().split("\n").at(-1)!) as ChildResult);
      rmSync(out, { force: true });
    }
    const m = {
      peakAboveBaselineBytesPerVcpu: median(runs.map((x) => x.peakAboveBaselineBytesPerVcpu)),
      resultsShareOfProcess: median(runs.map((x) => x.resultsShareOfProcess)),
      resultsCpuMs: median(runs.map((x) => x.resultsCpuMs)),
      simulationCpuMs: median(runs.map((x) => x.simulationCpuMs)),
    };
    rows.push({ case: c, runs, median: m });
    process.stdout.write(
      `${String(c.vcpus).padStart(9)} vCPUs ${c.duration.padStart(6)} ${c.format.padEnd(5)}: peak ${m.peakAboveBaselineBytesPerVcpu.toFixed(0)} B/vCPU above baseline, ` +
        `results ${(m.resultsCpuMs / 1000).toFixed(2)} s CPU = ${(100 * m.resultsShareOfProcess).toFixed(1)} % of the process (simulation ${(m.simulationCpuMs / 1000).toFixed(2)} s)\n`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// The targets are `tscsim run`'s: the library's runScenario (format "library") is reported, not judged.
const cliRows = rows.filter((r) => r.case.format !== "library");
const targets = [
  ...cliRows.map((r) => ({
    target: `peak RSS <= ${PEAK_BYTES_PER_VCPU} B per vCPU above the baseline: ${r.case.vcpus} vCPUs, ${r.case.format}`,
    measured: r.median.peakAboveBaselineBytesPerVcpu,
    pass: r.median.peakAboveBaselineBytesPerVcpu <= PEAK_BYTES_PER_VCPU,
  })),
  ...cliRows
    .filter((r) => r.case.vcpus === 100_000)
    .map((r) => ({
      target: `results <= ${100 * RESULTS_SHARE} % of the process: 100000 vCPUs, ${r.case.duration}, ${r.case.format}`,
      measured: r.median.resultsShareOfProcess,
      pass: r.median.resultsShareOfProcess <= RESULTS_SHARE,
    })),
];
for (const t of targets) process.stdout.write(`${t.pass ? "PASS" : "MISS"}  ${t.target} (measured ${t.measured.toFixed(t.measured < 1 ? 3 : 0)})\n`);

writeJson(outPath, {
  schema: "tscsim-bench-results-memory/1",
  date: new Date().toISOString(),
  machine: { node: process.version, cpu: os.cpus()[0]?.model ?? "unknown", cores: os.cpus().length, loadAverage1m: { atStart: loadAtStart, atEnd: os.loadavg()[0]! } },
  workload: "the cyclictest preset (4 vCPUs at a 200 us interval, a summary line per vCPU) with vms.0.vcpus and duration set; wallMs left out of the JSON",
  baseline: "the child process's RSS after loading every module, the wasm instance and the scenario, after a GC, before the simulation",
  reps,
  results: rows,
  targets,
  elapsedSeconds: (Date.now() - started) / 1000,
});
process.stdout.write(`wrote ${outPath}\n`);
