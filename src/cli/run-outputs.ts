// The side outputs of `tscsim run`: --report, --hgrm, --histogram and --cyclictest-json.

import { InputRangeError } from "../errors.js";
import { materialized, type StreamedScenarioRun } from "../sim/run.js";
import { renderHgrm } from "../report/hdr.js";
import { runReportHtml } from "../report/html/index.js";
import { renderCyclictestHistogram, renderCyclictestJson, type CyclictestThread } from "../report/cyclictest-output.js";
import { packageVersion } from "../package-version.js";
import { writeText } from "./report.js";

export interface RunOutputOptions {
  report?: string;
  hgrm?: string;
  histogram?: string;
  histogramSize: string;
  cyclictestJson?: string;
}

/** The largest -h cyclictest accepts (rt-tests' HIST_MAX). */
const HIST_MAX = 1000000;

function threadsOf(run: StreamedScenarioRun, flag: string): CyclictestThread[] {
  const vcpus = run.histograms.vcpus;
  if (vcpus === null) throw new InputRangeError(flag, "", "a run with per-vCPU histograms (at most 64 vCPUs): one cyclictest thread per vCPU");
  return vcpus.map((v, i) => {
    const r = run.result.vcpus.at(i);
    return { histogram: v.histogram, cycles: r.interrupts, minNs: r.latency.ns.min, meanNs: r.latency.ns.mean, maxNs: r.latency.ns.max, cpu: v.vcpu };
  });
}

export function writeRunOutputs(run: StreamedScenarioRun, opts: RunOutputOptions, argv: readonly string[]): void {
  const size = Number(opts.histogramSize);
  if (!/^\d+$/.test(opts.histogramSize) || size < 1 || size > HIST_MAX) throw new InputRangeError("--histogram-size", opts.histogramSize, `a whole number of µs buckets, 1..${HIST_MAX} (cyclictest's -h N)`);
  if (opts.report !== undefined) writeText("--report", opts.report, runReportHtml(materialized(run.result), run.histograms));
  if (opts.hgrm !== undefined) writeText("--hgrm", opts.hgrm, renderHgrm(run.histograms.all));
  if (opts.histogram !== undefined) writeText("--histogram", opts.histogram, renderCyclictestHistogram(threadsOf(run, "--histogram"), size));
  if (opts.cyclictestJson !== undefined) {
    const meta = { cmdline: ["tscsim", ...argv].join(" "), version: packageVersion(), simulatedNs: run.result.simulatedNs, era: run.result.era };
    writeText("--cyclictest-json", opts.cyclictestJson, renderCyclictestJson(threadsOf(run, "--cyclictest-json"), size, meta));
  }
}
