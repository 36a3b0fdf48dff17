// One `tscsim run` in its own process, for bench/results-memory.bench.ts: what the CLI's
// run command does (src/cli/run.ts: runScenarioStreamed, then writeJsonStream or
// writeTableReport through writeReportChunks), with the process's RSS before the
// simulation (the baseline), its peak, and the CPU time of each phase. Prints one JSON line.
// The "library" format is the library's runScenario instead (every vCPU's result kept in
// memory), then the JSON of that result.
//   node --expose-gc --import tsx bench/results-memory-child.ts VCPUS DURATION json|table|library OUT

import { loadScenario } from "../src/scenario/load.js";
import { runScenario, runScenarioStreamed } from "../src/sim/run.js";
import { writeJsonStream } from "../src/report/json.js";
import { writeTableReport } from "../src/report/table.js";
import { writeReportChunks } from "../src/cli/output.js";
import { wasm, wasmVariant } from "../src/wasm.js";
import type { StreamedRunResult } from "../src/sim/run.js";

const [vcpusArg, duration, format, out] = process.argv.slice(2);
const vcpus = Number(vcpusArg);
if (!(vcpus >= 1) || duration === undefined || (format !== "json" && format !== "table" && format !== "library") || out === undefined) {
  process.stderr.write("usage: results-memory-child.ts VCPUS DURATION json|table|library OUT\n");
  process.exit(2);
}
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// The cyclictest preset as a user runs it (its summary line per vCPU included).
const config = loadScenario("cyclictest", [`vms.0.vcpus=${vcpus}`, `duration=${duration}`]);
(globalThis as { gc?: () => void }).gc?.();
// The baseline: this process with every module and the wasm instance loaded, before the simulation.
const baselineRssBytes = process.memoryUsage().rss;
const c0 = cpuMs();
let c1 = 0;
const options = { onSimulated: () => (c1 = cpuMs()) };
const run = format === "library" ? runScenario(config, options) : runScenarioStreamed(config, options);
if (format !== "table") writeReportChunks((write) => writeJsonStream(run.result, { includeWallMs: false }, write), out);
else writeReportChunks((write) => writeTableReport(run.output, run.result as StreamedRunResult, write), out);
const c2 = cpuMs();
const peakRssBytes = process.resourceUsage().maxRSS * 1024;
const processCpuMs = cpuMs();
process.stdout.write(
  JSON.stringify({
    vcpus,
    duration,
    format,
    wasm: wasmVariant,
    interrupts: run.result.interrupts,
    baselineRssBytes,
    peakRssBytes,
    peakAboveBaselineBytesPerVcpu: (peakRssBytes - baselineRssBytes) / vcpus,
    wasmMemoryBytes: wasm.memory.buffer.byteLength,
    simulationCpuMs: c1 - c0,
    resultsCpuMs: c2 - c1,
    processCpuMs,
    resultsShareOfProcess: (c2 - c1) / processCpuMs,
  }) + "\n",
);
