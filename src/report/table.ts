// The summary a person reads at a glance after `tscsim run` (issue #3 §8).

import type { LatencySummary, VcpuResult } from "../metrics/types.js";
import { VcpuResultList, type VcpuResults } from "../metrics/vcpu-result-list.js";
import type { HostSchedResult } from "../metrics/sched-types.js";
import { EXIT_REASON_NAMES } from "../metrics/vcpu-metrics.js";
import { columns, duration, MISSING, num, ratio } from "./format.js";
import { advanceHeadline, hasPercentiles, perVmLines, vcpuOverview, type RunView } from "./headline.js";

export interface TableOptions {
  /** Per-vCPU rows shown before "… N more"; default 16. */
  maxVcpuRows?: number;
}

function latencyLine(l: LatencySummary): string {
  return [
    `min ${num(l.min)}`,
    `p50 ${num(l.p50)}`,
    `p90 ${num(l.p90)}`,
    `p99 ${num(l.p99)}`,
    `p99.9 ${num(l.p999)}`,
    `max ${num(l.max)}`,
    `mean ${num(l.mean, 1)}`,
  ].join("  ");
}

/** The first n results (only these are built when the list makes them as read). */
function firstVcpus(vcpus: VcpuResults, n: number): VcpuResult[] {
  if (vcpus instanceof VcpuResultList) return Array.from({ length: Math.min(n, vcpus.length) }, (_, i) => vcpus.at(i));
  return vcpus.slice(0, n);
}

function vcpuTable(vcpus: VcpuResults, maxRows: number): string[] {
  const shown = firstVcpus(vcpus, maxRows);
  const header = ["vm", "vcpu", "interrupts", "min ns", "p50 ns", "p99 ns", "max ns", "mean ns", "early", "exits", "spin", "advance ns"];
  const rows = shown.map((v) => {
    const l = v.latency.ns;
    const exits = EXIT_REASON_NAMES.reduce((a, k) => a + v.exits[k], 0);
    return [
      String(v.vm),
      String(v.vcpu),
      num(v.interrupts),
      num(l.min),
      hasPercentiles(l) ? num(l.p50) : MISSING,
      hasPercentiles(l) ? num(l.p99) : MISSING,
      num(l.max),
      num(l.mean, 1),
      num(v.early.count),
      num(exits),
      duration(v.spinNs),
      `${num(v.advanceNs.initial)}→${num(v.advanceNs.final)}`,
    ];
  });
  const lines = columns([header, ...rows]).map((line) => "  " + line);
  if (vcpus.length > shown.length) lines.push(`  … ${num(vcpus.length - shown.length)} more vCPUs`);
  return lines;
}

/** Share of `total` as "12.3 %". */
function pct(ns: number, total: number): string {
  return total > 0 ? `${ratio((100 * ns) / total)} %` : MISSING;
}

/** The host scheduler's block: run-queue waits and steal, then each CPU's time by activity. */
function hostSchedLines(h: HostSchedResult, simulatedNs: number, maxRows: number): string[] {
  const w = h.runQueueWaitNs;
  const nullable = (x: number | null): string => (x === null ? MISSING : num(x));
  const lines = [
    ...columns(
      [
        ["vCPU run-queue wait", `${num(w.count)} waits, sum ${duration(w.sum)}  p50 ${nullable(w.p50)} ns  p99 ${nullable(w.p99)} ns  max ${num(w.max)} ns`],
        ["vCPU steal", `${duration(h.stealNs)} (run-queue waits${h.outerCpus.length > 0 ? " and the outer level's" : ""})`],
      ],
      2,
    ),
    "",
    `host CPUs${h.cpus.length > maxRows ? ` (first ${maxRows} of ${num(h.cpus.length)})` : ""}: share of ${duration(simulatedNs)}`,
  ];
  const header = ["cpu", "guest", "busy-wait", "halt poll", "host", "other load", "idle", "steal", "load waited"];
  const rows = h.cpus
    .slice(0, maxRows)
    .map((c) => [String(c.cpu), pct(c.guestNs, simulatedNs), pct(c.busyWaitNs, simulatedNs), pct(c.haltPollNs, simulatedNs), pct(c.hostNs, simulatedNs), pct(c.loadNs, simulatedNs), pct(c.idleNs, simulatedNs), pct(c.stealNs, simulatedNs), duration(c.loadWaitNs)]);
  lines.push(...columns([header, ...rows]).map((l) => "  " + l));
  lines.push("", `vCPU threads${h.vcpus.length > maxRows ? ` (first ${maxRows} of ${num(h.vcpus.length)})` : ""}`);
  const vcpuRows = h.vcpus
    .slice(0, maxRows)
    .map((v) => [String(v.vm), String(v.vcpu), String(v.cpu), num(v.runQueueWaitNs.count), duration(v.runQueueWaitNs.sum), nullable(v.runQueueWaitNs.p99), num(v.runQueueWaitNs.max), duration(v.stealNs), num(v.noPollForSteal)]);
  lines.push(...columns([["vm", "vcpu", "cpu", "waits", "wait sum", "wait p99 ns", "wait max ns", "steal", "no-poll (steal)"], ...vcpuRows]).map((l) => "  " + l));
  if (h.outerCpus.length > 0) {
    lines.push("", "outer CPUs");
    const outerRows = h.outerCpus
      .slice(0, maxRows)
      .map((c) => [String(c.cpu), pct(c.innerNs, simulatedNs), pct(c.loadNs, simulatedNs), pct(c.idleNs, simulatedNs), duration(c.loadWaitNs)]);
    lines.push(...columns([["cpu", "inner host", "tenants", "idle", "tenants waited"], ...outerRows]).map((l) => "  " + l));
  }
  return lines;
}

/** A plain-text summary of a run: totals first, then the first vCPUs one per row. */
export function renderTable(result: RunView, options: TableOptions = {}): string {
  const maxRows = options.maxVcpuRows ?? 16;
  const r = result;
  const seconds = r.simulatedNs / 1e9;
  const nVcpus = r.vcpus.length;
  const speedUp = r.wallMs > 0 ? r.simulatedNs / (r.wallMs * 1e6) : NaN;
  const perSecond = (count: number): string => (seconds > 0 ? num(count / seconds, 1) : MISSING);
  const vcpuSeconds = seconds * nVcpus;
  const spinShare = vcpuSeconds > 0 ? (r.spinNs / 1e9 / vcpuSeconds) * 100 : NaN;

  const lines: string[] = [];
  lines.push(`tscsim: scenario ${r.scenario} · era ${r.era} · seed ${r.seed}`);
  lines.push(
    `simulated ${duration(r.simulatedNs)} in ${num(r.wallMs)} ms of wall time (${ratio(speedUp)}× real time) · ` +
      `${num(nVcpus)} vCPU${nVcpus === 1 ? "" : "s"} · ${num(r.events)} events`,
  );
  lines.push("");

  const exitRows = EXIT_REASON_NAMES.map((k) => [`  ${k}`, num(r.exits[k]), perSecond(r.exits[k])]);
  const overview = vcpuOverview(r);
  const vms = overview.vms.size;
  const early = r.early.count;
  const totals: string[][] = [
    ["interrupts", num(r.interrupts)],
    // Percentiles count an early interrupt as 0 (HdrHistogram holds no negatives) and are capped at max.
    ["latency ns", latencyLine(r.latency.ns) + (early > 0 ? (early === r.interrupts ? "  (every interrupt early: percentiles read max)" : "  (early ones count as 0 in p50…p99.9)") : "")],
    // Guest cycles of VMs with different TSC rates do not add up: per VM below.
    ...(vms > 1 ? [] : [["latency cycles", latencyLine(r.latency.cycles)]]),
    ["early", `${num(r.early.count)} (worst ${num(r.early.worstNs)} ns early)`],
    // Periodic timers: the latency above is against the ideal schedule; this is against the previous tick + period.
    ...(r.periodLatenessNs !== undefined ? [["per-period ns", `${latencyLine(r.periodLatenessNs)}  (each tick vs the previous + period; ${num(r.periodLatenessNs.count)} periods)`]] : []),
    ["busy-wait", `${duration(r.spinNs)} of host CPU (${ratio(spinShare)} % of ${num(nVcpus)} vCPUs × ${duration(r.simulatedNs)})`],
    [
      "timers",
      `sw arms ${num(r.timers.swArms)}  hv arms ${num(r.timers.hvArms)}  hv fallbacks ${num(r.timers.hvFallbacks)}  ` +
        `hv→sw ${num(r.timers.hvToSw)}  sw→hv ${num(r.timers.swToHv)}  posted ${num(r.timers.posted)}`,
    ],
    ["advance", advanceHeadline(overview)],
    ["coalesced", num(r.coalesced)],
    [
      "halt polling",
      `${duration(r.haltPollNs)} of host CPU (${ratio(r.simulatedNs > 0 && nVcpus > 0 ? (100 * r.haltPollNs) / (r.simulatedNs * nVcpus) : 0)} %)  ` +
        `polls ok ${num(r.haltPolls.successful)}  failed ${num(r.haltPolls.failed)}`,
    ],
    ["hrtimer cb/ms peak", num(r.callbacksPerMsPeak)],
  ];
  if (vms > 1) lines.push(`totals over all ${num(nVcpus)} vCPUs of ${vms} VMs; latency per VM below`);
  lines.push(...columns(totals, 2));
  const perVm = perVmLines(overview);
  if (perVm.length > 0) {
    lines.push("");
    lines.push("per VM (latency in ns and in the VM's own guest TSC cycles)");
    lines.push(...columns(perVm, 2));
  }
  lines.push("");
  lines.push(...columns([["VM exits", "count", "per s"], ...exitRows], 1));

  if (nVcpus > 0) {
    lines.push("");
    lines.push(nVcpus > maxRows ? `per vCPU (first ${maxRows} of ${num(nVcpus)})` : "per vCPU");
    lines.push(...vcpuTable(r.vcpus, maxRows));
  }
  if (r.hostSched !== undefined) lines.push("", ...hostSchedLines(r.hostSched, r.simulatedNs, maxRows));
  return lines.join("\n") + "\n";
}

/** Lines per write of writeTableReport: a few MB at most, whatever the vCPU count. */
const LINES_PER_WRITE = 4096;

/**
 * What `tscsim run` prints: the lines guest programs printed (cyclictest's summary line
 * per vCPU), a blank line when there were any, then the table — written in pieces, so
 * 10^6 vCPUs' lines are never one string.
 */
export function writeTableReport(printed: Iterable<{ lines: readonly string[] }>, result: RunView, write: (chunk: string) => void, options: TableOptions = {}): void {
  let pending: string[] = [];
  let any = false;
  for (const o of printed) {
    for (const line of o.lines) {
      pending.push(line);
      any = true;
      if (pending.length >= LINES_PER_WRITE) {
        write(pending.join("\n") + "\n");
        pending = [];
      }
    }
  }
  if (pending.length > 0) write(pending.join("\n") + "\n");
  if (any) write("\n");
  // renderTable ends with a newline; writeReportChunks adds the report's last one.
  write(renderTable(result, options));
}
