// `tscsim fit TRACE... [--out host.json] [--format table|json]`: a host profile fitted to
// `trace-cmd report` text, and its fit report. A trace it cannot read ends in one line
// naming the file and line (exit 2).

import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { InputRangeError } from "../errors.js";

interface FitCliOptions {
  out?: string;
  format: string;
  report?: string;
}

export function registerFit(program: Command): void {
  program
    .command("fit")
    .description("fit the host delays to trace-cmd report text from your host; writes a host profile for `run --host` and sweeps")
    .argument("<trace...>", "trace-cmd report (or raw ftrace) text files")
    .option("--out <file>", "write the host profile (the scenario's `host` object) to this file")
    .option("--format <table|json>", "the fit report: table for people, json for tools", "table")
    .option("--report <file>", "write the fit report to a file instead of stdout")
    .addHelpText("after", "\nRecord on the host (docs/calibration.md):\n  trace-cmd record -e kvm:kvm_exit -e kvm:kvm_entry -e kvm:kvm_msr -e kvm:kvm_wait_lapic_expire -e kvm:kvm_hv_timer_state \\\n    -e kvm:kvm_vcpu_wakeup -e timer:hrtimer_start -e timer:hrtimer_cancel -e timer:hrtimer_expire_entry \\\n    -e sched:sched_waking -e sched:sched_switch sleep 30\n  trace-cmd report -t > host.txt\n  tscsim fit host.txt --out host.json")
    .action(async (traces: string[], opts: FitCliOptions) => {
      if (opts.format !== "table" && opts.format !== "json") throw new InputRangeError("--format", opts.format, '"table" or "json"');
      // Loaded when the command runs, not at start-up (docs/performance.md).
      const [{ fitTraces }, { fitReportJson, renderFitReport }, { writeReport }] = await Promise.all([import("../calibrate/fit-host.js"), import("../calibrate/fit-report.js"), import("./output.js")]);
      const result = fitTraces(traces);
      if (opts.out !== undefined) {
        try {
          writeFileSync(opts.out, `${JSON.stringify(result.host, null, 2)}\n`);
        } catch (err) {
          throw new InputRangeError("--out", opts.out, `a writable file path (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
      }
      const text = opts.format === "json" ? JSON.stringify(fitReportJson(result), null, 2) : renderFitReport(result, opts.out);
      writeReport(text, opts.report);
    });
}
