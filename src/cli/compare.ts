// `tscsim compare`: run one scenario twice with the same seed — side A and side B, each
// with its own overrides — and print the metrics side by side (issue #4 §3).

import type { Command } from "commander";
import type { CompareCliOptions } from "./compare-action.js";

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function registerCompare(program: Command): void {
  program
    .command("compare")
    .description("run a scenario twice with the same seed, side A and side B with their own overrides, and print the metrics side by side with their differences")
    .argument("<scenario>", "a preset name (see `tscsim presets`) or a scenario JSON file")
    .option("--a <path=value>", "an override for side A only (like --set, applied after the shared --sets); repeatable", collect, [] as string[])
    .option("--b <path=value>", "an override for side B only; repeatable", collect, [] as string[])
    .option("--set <path=value>", "an override for both sides (dotted path; value parsed as JSON, else a string); repeatable", collect, [] as string[])
    .option("--seed <n>", "random seed (u32) for both sides; default: the scenario's")
    .option("--format <table|json>", "table for people, json for tools", "table")
    .option("--out <file>", "write the report to a file instead of stdout")
    .option("--histograms", "JSON: each side's result carries its latency histograms (see `tscsim run --histograms`)", false)
    .option("--report <file.html>", "also write an offline HTML report with A and B overlaid (see `tscsim report`)")
    .addHelpText(
      "after",
      [
        "",
        "At least one --a or --b is needed. Columns: A, B, B−A and (B−A)/|A| (\"=\" when the",
        "sides agree, \"—\" when A is 0 and B is not). JSON: {scenario, seed, sets,",
        "a: {overrides, result}, b: {overrides, result}, diff: {\"<dotted metric path>\":",
        "{a, b, abs, rel}}}; results as `tscsim run --format json --no-wall-time` writes",
        "them, so the same command gives the same bytes.",
        "",
        "Examples:",
        "  tscsim compare cyclictest --a kvm.era=v4.20 --b kvm.era=mainline",
        "  tscsim compare default --a kvm.hvTimer=false --b kvm.hvTimer=true --set duration=500ms",
        "  tscsim compare my-scenario.json --b kvm.timerAdvance=off --seed 7 --format json --out diff.json",
      ].join("\n"),
    )
    .action(async function (this: Command, ref: string, opts: CompareCliOptions) {
      if (opts.a.length === 0 && opts.b.length === 0) {
        this.error("error: compare needs at least one --a or --b override, e.g. --a kvm.era=v4.20 --b kvm.era=mainline", { exitCode: 2, code: "tscsim.compare.noOverrides" });
      }
      // The simulator and the report load when the command runs, not at start-up (docs/performance.md).
      return (await import("./compare-action.js")).compareAction(ref, opts);
    });
}
