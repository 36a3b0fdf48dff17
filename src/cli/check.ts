// `tscsim check CYCLICTEST_FILE [--host host.json] [--scenario S] [--set ...]`: simulates the
// cyclictest a measured file (--json or -h output) describes and compares the latencies.

import type { Command } from "commander";
import { InputRangeError } from "../errors.js";
import { setsWithSeed } from "./options.js";

interface CheckCliOptions {
  host?: string;
  scenario: string;
  set: string[];
  seed?: string;
  interval?: string;
  threads?: string;
  duration?: string;
  format: string;
}

/** Simulated time for the check when neither --duration nor the file's loop count says. */
const DEFAULT_DURATION = "10s";
/** At most this much simulated time from a loop count (a check, not a replay of a day-long run). */
const MAX_DURATION_NS = 60e9;

function posInt(field: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) === 0) throw new InputRangeError(field, v, "a whole number > 0");
  return Number(v);
}

export function registerCheck(program: Command): void {
  program
    .command("check")
    .description("compare a measured cyclictest (--json or -h output) with tscsim's simulation of it")
    .argument("<cyclictest-file>", "cyclictest --json FILE output, or its -h N histogram output")
    .option("--host <file>", "host profile from `tscsim fit`")
    .option("--scenario <preset|file>", "the scenario to run cyclictest in (its first VM runs it)", "cyclictest")
    .option("--set <path=value>", "override a scenario key; repeatable", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--seed <n>", "random seed")
    .option("--interval <us>", "cyclictest's -i in µs (default: from the JSON command line, else 1000)")
    .option("--threads <n>", "cyclictest's thread count, one per vCPU (default: from the file)")
    .option("--duration <d>", `simulated time (default: loops × interval from the file, at most 60s; else ${DEFAULT_DURATION})`)
    .option("--format <table|json>", "table or json", "table")
    .action(async (file: string, opts: CheckCliOptions) => {
      const sets = setsWithSeed(opts);
      // Loaded when the command runs, not at start-up (docs/performance.md).
      const [{ loadScenario }, { cmdlineOptions, readCyclictestFile }, { CHECK_QUANTILES, compareLatency, simulateBinned }, { loadWithHost }, { writeReport }] = await Promise.all([
        import("../scenario/load.js"),
        import("../calibrate/cyclictest-files.js"),
        import("../calibrate/check.js"),
        import("./run-action.js"),
        import("./output.js"),
      ]);
      const measured = readCyclictestFile(file);
      const fromCmd = measured.cmdline === null ? {} : cmdlineOptions(measured.cmdline);
      const intervalUs = posInt("--interval", opts.interval) ?? fromCmd.intervalUs ?? 1000;
      const threads = posInt("--threads", opts.threads) ?? Math.max(1, measured.threads);
      let duration = opts.duration;
      if (duration === undefined) {
        const perThread = fromCmd.loops ?? Math.ceil((measured.counts.reduce((a, c) => a + c, 0) + measured.overflows) / threads);
        duration = perThread > 0 ? `${Math.min(MAX_DURATION_NS, (perThread + 1) * intervalUs * 1000) / 1e6}ms` : DEFAULT_DURATION;
      }
      const all = [`vms.0.vcpus=${threads}`, `vms.0.workload={"kind":"cyclictest","interval":"${intervalUs}us"}`, `duration=${duration}`, ...sets];
      const config = opts.host === undefined ? loadScenario(opts.scenario, all) : await loadWithHost(opts.scenario, all, opts.host);
      const result = compareLatency(measured, simulateBinned(config, measured, fromCmd.histogramBins ?? 0));
      if (opts.format === "json") {
        writeReport(JSON.stringify({ file, intervalUs, threads, duration, ...result, quantiles: CHECK_QUANTILES }, (_k, v: unknown) => (v === Number.POSITIVE_INFINITY ? "overflow" : v), 2), undefined);
        return;
      }
      const unit = result.binNs === 1 ? "ns" : "µs";
      const show = (x: number) => (Number.isFinite(x) ? String(x) : "overflow");
      const lines = [
        `tscsim check: ${file} · cyclictest -i ${intervalUs} · ${threads} thread(s) = vCPUs · simulated ${duration}${opts.host !== undefined ? ` · host ${opts.host}` : ""}`,
        "",
        `latency (${unit})        measured   simulated`,
        ...CHECK_QUANTILES.map((q, i) => `  p${String(q * 100).padEnd(6)}         ${show(result.measured.quantiles[i]!).padStart(8)}   ${show(result.simulated.quantiles[i]!).padStart(9)}`),
        `  max              ${(result.measured.max === null ? "—" : String(result.measured.max)).padStart(8)}   ${"".padStart(9)}`,
        `  samples          ${String(result.measured.n).padStart(8)}   ${String(result.simulated.n).padStart(9)}`,
        `  past last bin    ${String(result.measured.overflows).padStart(8)}   ${String(result.simulated.overflows).padStart(9)}`,
        "",
        `Kolmogorov–Smirnov distance (binned CDFs): ${result.ks.toFixed(4)}`,
      ];
      writeReport(lines.join("\n"), undefined);
    });
}
