// `tscsim merge`: combine results files (the shards of a sweep) into one, sorted by run
// id (issue #5 §4). Exit codes: 0 merged; 1 merged and written, but runs of the sweep
// given with --sweep are missing (a shard died or has not finished: rerun it with
// --resume, then merge again); 2 for disagreeing duplicates or unreadable input, with
// nothing written.

import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import type { Command } from "commander";
import { InputUnusableError } from "../errors.js";
import { describeParams } from "../sweep/errors.js";

interface MergeCliOptions {
  out: string;
  sweep?: string;
}

const LISTED_MISSING = 10;

export function registerMerge(program: Command): void {
  program
    .command("merge")
    .description("combine results files (e.g. the shards of a sweep) into one, sorted by run id")
    .argument("<files...>", "results files (JSONL) written by tscsim sweep")
    .requiredOption("--out <file>", "merged results file (written whole, replaced if it exists)")
    .option("--sweep <file>", "the sweep file: report runs of its grid that no input has")
    .addHelpText("after", "\nExample:\n  tscsim merge shard-*.jsonl --out all.jsonl --sweep advance.json")
    .action(async (files: string[], opts: MergeCliOptions) => {
      // Loaded when the command runs, not at start-up (docs/performance.md).
      const [{ writeErrorReason }, { loadSweepFile }, { mergeResults }] = await Promise.all([import("../scenario/load.js"), import("../sweep/file.js"), import("../sweep/merge.js")]);
      const sweep = opts.sweep === undefined ? undefined : loadSweepFile(opts.sweep);
      const merged = mergeResults(files, sweep);
      for (const input of merged.inputs) {
        if (input.torn !== null) process.stderr.write(`tscsim: ${input.file}: ignored a torn last line (${input.torn.bytes} bytes: ${input.torn.reason}); that run counts as missing\n`);
      }
      // Write beside the target and rename: a reader never sees half a merge, and --out
      // may be one of the inputs.
      const tmp = `${opts.out}.tmp-${process.pid}`;
      try {
        // Written chunk by chunk, in id order, read back from the inputs: the merge never
        // holds the lines in memory.
        const fd = openSync(tmp, "w");
        try {
          merged.writeTo((chunk) => {
            let off = 0;
            while (off < chunk.length) off += writeSync(fd, chunk, off);
          });
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, opts.out);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw new InputUnusableError("--out", opts.out, `cannot be written (${writeErrorReason(err)})`, "a file path in a writable directory (it is replaced whole)");
      }
      const read = merged.inputs.reduce((n, i) => n + i.lines, 0);
      const notes = [
        merged.duplicates > 0 ? `${merged.duplicates} identical duplicate${merged.duplicates === 1 ? "" : "s"} dropped` : "",
        merged.supersededFailures > 0 ? `${merged.supersededFailures} failed line${merged.supersededFailures === 1 ? "" : "s"} superseded by ok ones` : "",
        merged.failed > 0 ? `${merged.failed} FAILED run${merged.failed === 1 ? "" : "s"}` : "",
      ].filter((s) => s !== "");
      process.stderr.write(`merge: ${files.length} file${files.length === 1 ? "" : "s"}, ${read} lines → ${merged.runs} runs in ${opts.out}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}\n`);
      if (merged.extra.length > 0) process.stderr.write(`merge: ${merged.extra.length} run${merged.extra.length === 1 ? " is" : "s are"} not in the grid of ${opts.sweep} (another sweep, or an edited one); kept\n`);
      if (merged.missing.length > 0) {
        const total = merged.missing.length + merged.runs - merged.extra.length;
        process.stderr.write(`merge: ${merged.missing.length} of ${total} runs of ${opts.sweep} are missing:\n`);
        for (const run of merged.missing.slice(0, LISTED_MISSING)) process.stderr.write(`  run ${run.index} (${run.id}): ${describeParams(run.params)} seed ${run.seed}\n`);
        if (merged.missing.length > LISTED_MISSING) process.stderr.write(`  … and ${merged.missing.length - LISTED_MISSING} more\n`);
        process.stderr.write("merge: rerun the shards that lack them with --resume, then merge again\n");
        process.exit(1);
      }
    });
}
