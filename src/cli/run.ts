// `tscsim run`: simulate a scenario (a preset or a file) and print what the guest saw.

import type { Command } from "commander";
import { DEFAULT_PRESET } from "../scenario/presets.js";
import { ERAS } from "../sim/eras.js";
import type { TraceCliOptions } from "../trace/cli-options.js";

export interface RunCliOptions extends TraceCliOptions {
  host?: string;
  set: string[];
  seed?: string;
  format: string;
  out?: string;
  wallTime: boolean;
  engine: string;
  histograms: boolean;
  report?: string;
  hgrm?: string;
  histogram?: string;
  histogramSize: string;
  cyclictestJson?: string;
}

function eraHelp(): string {
  const width = Math.max(...Object.keys(ERAS).map((e) => e.length));
  return Object.values(ERAS)
    .map((e) => `  ${e.era.padEnd(width)}  ${e.summary}`)
    .join("\n");
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("simulate a scenario (preset name or JSON file; default: the 'default' preset) and print the guest's view")
    .argument("[scenario]", "a preset name (see `tscsim presets`) or a scenario JSON file", DEFAULT_PRESET)
    .option("--set <path=value>", "override a scenario key (dotted path, array indices as numbers; value parsed as JSON, else a string); repeatable", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--seed <n>", "random seed (u32); same scenario and seed give identical results")
    .option("--format <table|json>", "table for people, json for tools (format in docs/results-format.md)", "table")
    .option("--out <file>", "write the report to a file instead of stdout")
    .option("--no-wall-time", "leave wallMs out of JSON, so two runs compare byte for byte")
    .option("--engine <auto|ts|wasm>", "which backend runs the vCPUs: wasm (the built-in TSC-deadline workloads, docs/simulator.md), ts (any workload), auto (wasm when it can); results are identical", "auto")
    .option("--histograms", "JSON: carry the latency histograms (HdrHistogram compressed base64, all vCPUs and per VM) under `histograms`", false)
    .option("--report <file.html>", "also write an offline HTML report with charts (see `tscsim report`)")
    .option("--hgrm <file>", "also write the latency percentile distribution (all vCPUs, µs) in HdrHistogram's .hgrm text layout")
    .option("--histogram <file>", "also write cyclictest's -h histogram output (one µs bucket a line, one column per vCPU, then # Total/Min/Avg/Max/Overflows)")
    .option("--histogram-size <us>", "buckets (µs) of --histogram and --cyclictest-json, as cyclictest -h N", "1000")
    .option("--cyclictest-json <file>", "also write rt-tests' cyclictest --json output (one thread per vCPU)")
    .option("--host <file>", "a host profile (what `tscsim fit` writes): its delays replace the scenario's")
    .option("--trace <file>", "write the run's host events as `trace-cmd report` text (docs/calibration.md)")
    .option("--trace-vcpus <list>", "trace only these vCPUs: global indices or vm:vcpu, comma-separated, ranges a-b (e.g. 0-3,1:0)")
    .option("--trace-window <from..to>", "trace only simulated time in [from, to), durations (e.g. 100ms..200ms)")
    .option("--trace-ns", "timestamps with ns (trace-cmd report -t) instead of µs")
    .addHelpText(
      "after",
      `\nKernel eras (--set kvm.era=...):\n${eraHelp()}\n\nExamples:\n  tscsim run\n  tscsim run cyclictest --set kvm.era=v4.20 --set vms.0.vcpus=16\n  tscsim run my-scenario.json --seed 7 --format json --out result.json`,
    )
    // The simulator, the scenario schema and the report load only when a run starts:
    // `tscsim --help` and the other commands do not pay for them (docs/performance.md).
    .action(async (ref: string, opts: RunCliOptions) => (await import("./run-action.js")).runAction(ref, opts));
}
