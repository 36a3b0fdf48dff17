// `tscsim bench`: microbenchmarks of the advancement math on this machine (src/bench/).

import type { Command } from "commander";
import { InputRangeError } from "../errors.js";

interface BenchCliOptions {
  format: string;
  batch: string;
  slice: string;
  maxTime: string;
  native: boolean;
  seed: string;
  out?: string;
}

function whole(flag: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new InputRangeError(flag, text, `a whole number ${min}..${max}`);
  return Number(text);
}

export function registerBench(program: Command): void {
  program
    .command("bench")
    .description("time the advancement math on this machine: wasm batch, wasm per call, JS BigInt and native C (gcc)")
    .option("--format <table|json>", "table for people, json for tools", "table")
    .option("--batch <n>", "elements per batch call and native pass", "1000000")
    .option("--slice <n>", "elements per op of the per-call and BigInt forms", "10000")
    .option("--max-time <s>", "seconds benchmark.js may spend on one measurement", "0.5")
    .option("--no-native", "skip the native C baseline even when gcc is present")
    .option("--seed <n>", "input data seed", "1")
    .option("--out <file>", "write the report to a file instead of stdout")
    .addHelpText("after", "\nA full run takes 20-40 s. Results depend on the machine and its load: run it on a quiet machine.\nExamples:\n  tscsim bench\n  tscsim bench --format json --out bench.json")
    .action(async (opts: BenchCliOptions) => {
      if (opts.format !== "table" && opts.format !== "json") throw new InputRangeError("--format", opts.format, '"table" or "json"');
      const batch = whole("--batch", opts.batch, 1, 100_000_000);
      const slice = whole("--slice", opts.slice, 1, batch);
      const maxTimeS = Number(opts.maxTime);
      if (!(maxTimeS > 0 && maxTimeS <= 600)) throw new InputRangeError("--max-time", opts.maxTime, "seconds, more than 0 and at most 600");
      const seed = whole("--seed", opts.seed, 0, 0xffffffff);
      // Loaded only when run: benchmark.js and the kernels are of no use to other commands.
      const [{ runBench, benchWasmVariant }, { renderBenchTable }, { writeReport }] = await Promise.all([import("../bench/run.js"), import("../bench/table.js"), import("./output.js")]);
      if (benchWasmVariant() !== "release") process.stderr.write("tscsim: note: the debug wasm is loaded (TSCSIM_WASM=debug): its timings are not the release build's\n");
      const report = runBench({ batch, slice, maxTimeS, native: opts.native, seed, onKernel: (id) => process.stderr.write(`bench: ${id}\n`) });
      writeReport(opts.format === "json" ? JSON.stringify(report, null, 2) : renderBenchTable(report), opts.out);
    });
}
