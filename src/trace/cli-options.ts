// `tscsim run --trace FILE [--trace-vcpus LIST] [--trace-window FROM..TO] [--trace-ns]`:
// the options checked into a TraceWriter, and the traced run.

import { InputRangeError } from "../errors.js";
import { parseDurationNs } from "../units.js";
import type { ScenarioConfig } from "../scenario/types.js";
import { runScenario, type RunOptions, type ScenarioRun } from "../sim/run.js";
import { START_NS } from "../sim/engine.js";
import { VcpuIds } from "../sim/vcpu-ids.js";
import { TraceWriter, type TraceWriterOptions } from "./writer.js";
import { withTrace } from "./session.js";

export interface TraceCliOptions {
  trace?: string;
  traceVcpus?: string;
  traceWindow?: string;
  traceNs?: boolean;
}

export interface TraceRequest {
  file: string;
  options: TraceWriterOptions;
  ids: VcpuIds;
}

const VCPU_LIST = "a comma-separated list of vCPU indices (0-based over all VMs) or vm:vcpu pairs, ranges as a-b (e.g. 0-3,1:0)";

/** Global vCPU indices named by --trace-vcpus. */
export function parseVcpuList(text: string, ids: VcpuIds, vcpusPerVm: readonly number[]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const item = part.trim();
    let m = /^(\d+)(?:-(\d+))?$/.exec(item);
    if (m !== null) {
      const lo = Number(m[1]);
      const hi = m[2] === undefined ? lo : Number(m[2]);
      if (hi < lo || hi >= ids.count) throw new InputRangeError("--trace-vcpus", text, `${VCPU_LIST}; indices 0..${ids.count - 1}`);
      for (let v = lo; v <= hi; v++) out.add(v);
      continue;
    }
    m = /^(\d+):(\d+)(?:-(\d+))?$/.exec(item);
    if (m !== null) {
      const vm = Number(m[1]);
      const lo = Number(m[2]);
      const hi = m[3] === undefined ? lo : Number(m[3]);
      if (vm >= vcpusPerVm.length || hi < lo || hi >= vcpusPerVm[vm]!) throw new InputRangeError("--trace-vcpus", text, `${VCPU_LIST}; VM ${vm} does not have vCPU ${hi}`);
      for (let n = lo; n <= hi; n++) out.add(ids.firstIndexOf(vm) + n);
      continue;
    }
    throw new InputRangeError("--trace-vcpus", text, VCPU_LIST);
  }
  return out;
}

function parseWindow(text: string): { fromNs: number; toNs: number } {
  const m = /^(.*)\.\.(.*)$/.exec(text);
  const allowed = 'FROM..TO, two durations since the start with FROM < TO (e.g. "100ms..200ms"; either may be empty)';
  if (m === null) throw new InputRangeError("--trace-window", text, allowed);
  try {
    const fromNs = m[1] === "" ? 0 : Number(parseDurationNs("--trace-window", m[1]!));
    const toNs = m[2] === "" ? Number.POSITIVE_INFINITY : Number(parseDurationNs("--trace-window", m[2]!));
    if (!(fromNs < toNs)) throw new InputRangeError("--trace-window", text, allowed);
    return { fromNs, toNs };
  } catch {
    throw new InputRangeError("--trace-window", text, allowed);
  }
}

/** The trace a run was asked for (null: none); bad options throw InputRangeError. */
export function traceRequest(opts: TraceCliOptions, config: ScenarioConfig): TraceRequest | null {
  const asked = opts.traceVcpus !== undefined || opts.traceWindow !== undefined || opts.traceNs === true;
  if (opts.trace === undefined) {
    if (asked) throw new InputRangeError("--trace", "(missing)", "a file path: --trace-vcpus, --trace-window and --trace-ns refine --trace FILE");
    return null;
  }
  const perVm = config.vms.map((vm) => vm.vcpus);
  const ids = new VcpuIds(perVm);
  const window = opts.traceWindow === undefined ? { fromNs: 0, toNs: Number.POSITIVE_INFINITY } : parseWindow(opts.traceWindow);
  return {
    file: opts.trace,
    ids,
    options: {
      vcpus: opts.traceVcpus === undefined ? null : parseVcpuList(opts.traceVcpus, ids, perVm),
      ...window,
      precision: opts.traceNs === true ? "ns" : "us",
      vendor: config.host.vendor,
      startNs: START_NS,
    },
  };
}

/** Runs the scenario (on either engine: both write the same trace points) while writing its trace. */
export function runTraced(config: ScenarioConfig, options: RunOptions, req: TraceRequest): ScenarioRun;
/** With another runner (`tscsim run` streams its per-vCPU results: runScenarioStreamed). */
export function runTraced<R>(config: ScenarioConfig, options: RunOptions, req: TraceRequest, runner: (config: ScenarioConfig, options: RunOptions) => R): R;
export function runTraced(config: ScenarioConfig, options: RunOptions, req: TraceRequest, runner: (config: ScenarioConfig, options: RunOptions) => unknown = runScenario): unknown {
  const writer = new TraceWriter(req.file, req.ids, req.options);
  const run = withTrace(writer, () => runner(config, options));
  writer.finish();
  return run;
}
