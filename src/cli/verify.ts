// `tscsim verify`: recompute a sample of a results file's runs and check their bytes
// (src/sweep/verify.ts). Exit codes: 0 every checked line matches; 1 some line does not
// (each named with its line number and the first field that differs); 2 bad input.

import type { Command } from "commander";
import { InputRangeError } from "../errors.js";

interface VerifyCliOptions {
  sweep: string;
  sample: string;
  seed: string;
}

const LISTED = 10;

function parseSample(text: string): number {
  if (text === "all") return Number.POSITIVE_INFINITY;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1_000_000) throw new InputRangeError("--sample", text, 'a number of runs 1..1000000, or "all"');
  return Number(text);
}

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description("recompute a sample of a results file's runs and check that each line is byte-identical (wallMs aside); check every line's id")
    .argument("<results>", "results file (JSONL) from tscsim sweep or tscsim merge")
    .requiredOption("--sweep <file>", "the sweep file the results come from")
    .option("--sample <n|all>", "ok runs to recompute, drawn at random (reproducibly, see --seed)", "10")
    .option("--seed <n>", "seed of the sample's draw (not of the runs: each run has its own)", "1")
    .addHelpText("after", "\nExample:\n  tscsim verify results.jsonl --sweep advance.json --sample 20")
    .action(async (results: string, opts: VerifyCliOptions) => {
      const sample = parseSample(opts.sample);
      if (!/^\d+$/.test(opts.seed) || Number(opts.seed) > 0xffffffff) throw new InputRangeError("--seed", opts.seed, "a whole number 0..4294967295");
      // Loaded when the command runs, not at start-up (docs/performance.md).
      const [{ loadSweepFile }, { verifyResults }] = await Promise.all([import("../sweep/file.js"), import("../sweep/verify.js")]);
      const spec = loadSweepFile(opts.sweep);
      const report = verifyResults(results, spec, sample, Number(opts.seed));
      if (report.torn !== null) process.stderr.write(`tscsim: ${results}: ignored a torn last line (${report.torn.bytes} bytes: ${report.torn.reason})\n`);
      for (const p of report.problems.slice(0, LISTED)) process.stderr.write(`verify: ${results}:${p.lineNo} (run ${p.id}) ${p.problem}\n`);
      if (report.problems.length > LISTED) process.stderr.write(`verify: … and ${report.problems.length - LISTED} more\n`);
      const verdict = report.problems.length === 0 ? "OK" : `${report.problems.length} PROBLEM${report.problems.length === 1 ? "" : "S"}`;
      process.stderr.write(`verify: ${report.lines} lines, ids checked; ${report.matched} of ${report.checked} recomputed runs byte-identical (of ${report.okLines} ok) — ${verdict}\n`);
      if (report.problems.length > 0) process.exit(1);
    });
}
