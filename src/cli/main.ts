#!/usr/bin/env node
// The tscsim command line. User mistakes end in one line on stderr and exit code 2; a
// sweep whose worker threads cannot start (an installation or system problem) in one
// line and exit code 1.

import { Command, CommanderError } from "commander";
import { registerCalc } from "./calc.js";
import { registerPresets } from "./presets.js";
import { registerRun } from "./run.js";
import { registerCompare } from "./compare.js";
import { registerSweep } from "./sweep.js";
import { registerMerge } from "./merge.js";
import { registerSummarize } from "./summarize.js";
import { registerVerify } from "./verify.js";
import { registerReport } from "./report.js";
import { registerBench } from "./bench.js";
import { registerSchema } from "./schema.js";
import { registerFit } from "./fit.js";
import { registerCheck } from "./check.js";
import { WorkerStartError } from "../sweep/errors.js";
import { packageVersion } from "../package-version.js";

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

export async function main(argv: string[]): Promise<number> {
  const program = new Command("tscsim")
    .description("Deterministic simulator of the KVM x86 LAPIC timer path")
    .version(packageVersion(), "-V, --version", "print tscsim's version")
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerRun(program);
  registerCompare(program);
  registerCalc(program);
  registerPresets(program);
  registerSweep(program);
  registerMerge(program);
  registerSummarize(program);
  registerVerify(program);
  registerReport(program);
  registerBench(program);
  registerSchema(program);
  registerFit(program);
  registerCheck(program);
  for (const cmd of program.commands) cmd.exitOverride();
  // `tscsim` alone asks what it can do: the help, on stdout, and no error.
  if (argv.length === 0) {
    process.stdout.write(program.helpInformation());
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : EXIT_USAGE;
    // Loaded only on the error path: it names error classes of modules that need zod.
    const { isUserError } = await import("./user-error.js");
    if (isUserError(err)) {
      process.stderr.write(`tscsim: ${err.message}\n`);
      return EXIT_USAGE;
    }
    if (err instanceof WorkerStartError) {
      process.stderr.write(`tscsim: ${err.message}\n`);
      return EXIT_FAILURE;
    }
    throw err;
  }
}

// A reader that goes away (`tscsim run | head`) is not an error of ours.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

process.exitCode = await main(process.argv.slice(2));
