// `tscsim sweep`: run a parameter grid on every core (issue #5 §2–§4). Results go to a
// JSONL file, one line per finished run, appended as each finishes; progress goes to
// stderr. Exit codes: 0 when every run of the shard has a line (failed runs are lines
// too: they are reported, and `--resume --retry-failed` runs them again), 1 when the
// worker threads cannot start (main.ts), 2 for a bad sweep file or flag, 130 after Ctrl-C (SIGINT) and 143 after SIGTERM (what a cluster
// scheduler sends before it kills a pod or job), with every finished run kept.

import os from "node:os";
import type { Command } from "commander";
import { InputRangeError, InputUnusableError } from "../errors.js";
import { parseDurationNs } from "../units.js";
import type { SweepOutcome } from "../sweep/runner.js";
import { formatShard, parseShard, shardIndices, WHOLE_GRID, type Shard } from "../sweep/shard.js";
import { formatDuration } from "../sweep/summary-format.js";
import { LINE_DETAILS } from "../sweep/line.js";

interface SweepCliOptions {
  out?: string;
  workers?: string;
  resume: boolean;
  retryFailed: boolean;
  repair: boolean;
  detail: string;
  shard?: string;
  timeout: string;
  progress: boolean;
  dryRun: boolean;
  report?: string;
}

const MAX_WORKERS = 1024;
const EXIT_SIGNAL: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

function parseWorkers(text: string | undefined): number {
  if (text === undefined) return os.availableParallelism();
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > MAX_WORKERS) throw new InputRangeError("--workers", text, `a whole number 1..${MAX_WORKERS} (default: the available cores, ${os.availableParallelism()} here)`);
  return Number(text);
}

function parseTimeoutMs(text: string): number {
  const allowed = 'a duration from 1ms to about 24 days, e.g. "600s" or "30s"';
  let ns: bigint;
  try {
    ns = parseDurationNs("--timeout", text);
  } catch (err) {
    if (err instanceof InputRangeError) throw new InputRangeError("--timeout", text, allowed);
    throw err;
  }
  if (ns < 1_000_000n || ns > 2n ** 31n * 1_000_000n - 1n) throw new InputRangeError("--timeout", text, allowed);
  return Number(ns / 1_000_000n);
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** The command that continues this sweep. */
function resumeCommand(file: string, opts: SweepCliOptions, shard: Shard): string {
  const parts = ["tscsim", "sweep", quote(file), "--out", quote(opts.out!), "--resume"];
  if (shard.count > 1) parts.push("--shard", formatShard(shard));
  if (opts.workers !== undefined) parts.push("--workers", opts.workers);
  if (opts.timeout !== "600s") parts.push("--timeout", quote(opts.timeout));
  if (opts.detail !== "full") parts.push("--detail", quote(opts.detail));
  return parts.join(" ");
}

function summary(o: SweepOutcome, out: string, elapsedS: number): string {
  const scope = o.shard.count > 1 ? `shard ${formatShard(o.shard)}: ${o.total} of ${o.gridSize} runs` : `${o.total} runs`;
  const resumed = o.skipped > 0 ? `, ${o.skipped} already in ${out}` : "";
  const rate = o.sessionDone > 0 ? ` (${(o.sessionDone / elapsedS).toFixed(1)} runs/s on ${o.workers} worker${o.workers === 1 ? "" : "s"})` : "";
  const failed = o.failed > 0 ? `; ${o.failed} FAILED (status "failed" lines; run them again with --resume --retry-failed)` : "";
  return `sweep: ${scope} done — ${o.sessionDone} this session in ${formatDuration(elapsedS)}${rate}${resumed}${failed} → ${out}`;
}

export function registerSweep(program: Command): void {
  program
    .command("sweep")
    .description("run a parameter grid (a sweep file) on a worker pool, one JSON line per finished run")
    .argument("<file>", "sweep file (JSON: base, set, axes, seeds; see docs/sweeps.md)")
    .option("--out <file>", "results file (JSONL), appended to as runs finish; - for standard output")
    .option("--workers <n>", "worker threads (default: the available cores)")
    .option("--resume", "continue an existing results file: skip the runs it already has", false)
    .option("--retry-failed", "with --resume: run again the runs recorded as failed", false)
    .option("--repair", "with --resume: move unreadable lines in the middle of the results file to <out>.rejected (kept as they are) and run their runs again", false)
    .option("--detail <full|aggregates>", "what each line's result keeps: full, or the run's aggregates only (no per-vCPU array: a 64-vCPU line shrinks about 19×)", "full")
    .option("--shard <i/n>", "run only shard i of n (0-based: runs whose grid index % n == i), e.g. --shard $JOB_COMPLETION_INDEX/4")
    .option("--timeout <duration>", "per-run timeout per attempt; a run that times out or crashes its worker is retried once, then recorded as failed", "600s")
    .option("--no-progress", "no progress bar or progress lines")
    .option("--report <file.html>", "when the sweep is done, write an offline HTML report of its results file (see `tscsim report`)")
    .option("--dry-run", "validate the sweep and print its runs (index, id, params, seed) as JSON lines; run nothing", false)
    .addHelpText(
      "after",
      `\nExamples:\n  tscsim sweep advance.json --out results.jsonl\n  tscsim sweep advance.json --out results.jsonl --resume          # after Ctrl-C or a crash\n  tscsim sweep advance.json --out shard-$JOB_COMPLETION_INDEX.jsonl --shard $JOB_COMPLETION_INDEX/4\n  tscsim merge shard-*.jsonl --out all.jsonl --sweep advance.json\n  tscsim summarize all.jsonl --by kvm.timerAdvance,kvm.era`,
    )
    .action(async (file: string, opts: SweepCliOptions) => {
      const workers = parseWorkers(opts.workers);
      const shard = opts.shard === undefined ? WHOLE_GRID : parseShard(opts.shard);
      const timeoutMs = parseTimeoutMs(opts.timeout);
      if (opts.retryFailed && !opts.resume) throw new InputUnusableError("--retry-failed", true, "needs --resume", "tscsim sweep FILE --out RESULTS --resume --retry-failed");
      if (opts.repair && !opts.resume) throw new InputUnusableError("--repair", true, "needs --resume", "tscsim sweep FILE --out RESULTS --resume --repair");
      const detail = LINE_DETAILS.find((d) => d === opts.detail.toLowerCase());
      if (detail === undefined) throw new InputRangeError("--detail", opts.detail, '"full" (every vCPU\'s figures) or "aggregates" (the run\'s only)');
      // The sweep file's schema (zod) and the grid (its run ids hash with node:crypto) load
      // when a sweep runs, not at start-up (docs/performance.md).
      const [{ loadSweepFile }, { validateGrid }, { STDOUT }, { Grid }, { sweepTiming }] = await Promise.all([import("../sweep/file.js"), import("../sweep/preflight.js"), import("../sweep/results-file.js"), import("../sweep/grid.js"), import("../sweep/timing.js")]);
      sweepTiming("sweep modules loaded");
      process.once("exit", () => sweepTiming("exit"));
      const spec = loadSweepFile(file);
      sweepTiming("sweep file read");

      if (opts.dryRun) {
        const grid = new Grid(spec);
        validateGrid(grid);
        for (const i of shardIndices(grid.size, shard)) process.stdout.write(`${JSON.stringify(grid.runAt(i))}\n`);
        return;
      }
      if (opts.out === undefined) throw new InputUnusableError("--out", undefined, "a sweep needs somewhere to write its results", "--out results.jsonl (a JSONL file), or --out - for standard output (or --dry-run to list the runs)");
      if (opts.out === STDOUT && opts.resume) throw new InputUnusableError("--resume", true, "standard output (--out -) cannot be resumed", "--resume with a results file: --out results.jsonl");
      // Loaded here, not at start-up: the worker pool (piscina) and the progress bar
      // (cli-progress) are only needed by a sweep that runs.
      const [{ runSweep }, { createProgress }] = await Promise.all([import("../sweep/runner.js"), import("../sweep/progress.js")]);

      const progress = opts.progress ? createProgress() : { update() {}, log: (m: string) => void process.stderr.write(`${m}\n`), stop() {} };
      const stop = new AbortController();
      let signalName: string | undefined;
      const onSignal = (name: string) => () => {
        if (signalName !== undefined) {
          // A second Ctrl-C: the user does not want to wait for workers to wind down.
          process.stderr.write(`\ntscsim: ${name} again — exiting now; lines already written are kept\n`);
          process.exit(EXIT_SIGNAL[name] ?? 1);
        }
        signalName = name;
        stop.abort();
      };
      const handlers = { SIGINT: onSignal("SIGINT"), SIGTERM: onSignal("SIGTERM") };
      process.on("SIGINT", handlers.SIGINT);
      process.on("SIGTERM", handlers.SIGTERM);
      const t0 = performance.now();
      let outcome: SweepOutcome | undefined;
      let last: Parameters<typeof progress.update>[0] | undefined;
      try {
        outcome = await runSweep({
          spec,
          out: opts.out,
          workers,
          resume: opts.resume,
          retryFailed: opts.retryFailed,
          repair: opts.repair,
          detail,
          shard,
          timeoutMs,
          stop: stop.signal,
          onProgress: (p) => {
            last = p;
            progress.update(p);
          },
          onNotice: (m) => progress.log(`tscsim: ${m}`),
        });
      } finally {
        progress.stop(last);
        process.off("SIGINT", handlers.SIGINT);
        process.off("SIGTERM", handlers.SIGTERM);
      }
      sweepTiming("sweep returned");
      const elapsedS = (performance.now() - t0) / 1000;
      if (outcome.interrupted) {
        process.stderr.write(
          `\ntscsim: ${signalName ?? "stopped"} — stopped cleanly: ${outcome.done} of ${outcome.total} runs are in ${opts.out} (${outcome.sessionDone} this session); runs in flight were abandoned.\n` +
            `Resume with: ${resumeCommand(file, opts, shard)}\n`,
        );
        // main() would turn a normal return into exit code 0; the signal's code is the contract.
        process.exit(EXIT_SIGNAL[signalName ?? "SIGINT"] ?? 130);
      }
      process.stderr.write(`${summary(outcome, opts.out === STDOUT ? "standard output" : opts.out, elapsedS)}\n`);
      if (opts.report !== undefined) {
        if (opts.out === STDOUT) throw new InputUnusableError("--report", opts.report, "a report is drawn from the results file, and --out - wrote none", "--report with --out results.jsonl");
        const [{ sweepReportHtml }, { writeHtml }] = await Promise.all([import("../report/html/index.js"), import("./report.js")]);
        writeHtml("--report", opts.report, sweepReportHtml([opts.out]));
      }
    });
}
