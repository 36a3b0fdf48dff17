// `tscsim calc`: what KVM computes for a host/guest TSC pair, for people and as JSON.

import type { Command } from "commander";
import type { CalcReport } from "../calc/report.js";
import { formatKhz, parseDurationNs, parseFrequencyKhz } from "../units.js";
import { InputRangeError } from "../errors.js";
import { DEFAULT_TSC_TOLERANCE_PPM } from "../math/tsc.js";
import { groupDigits } from "../group-digits.js";

interface CalcOptions {
  host: string;
  guest: string;
  vendor: string;
  advance: string;
  deadline: string;
  tolerancePpm: string;
  json?: boolean;
  format?: string;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;
const group = (v: bigint | number): string => groupDigits(v);

function sign(v: bigint): string {
  return v > 0n ? `+${v}` : `${v}`;
}

function renderCalc(r: CalcReport): string {
  const { input, example: ex } = r;
  const lines: string[] = [];
  const row = (label: string, value: string): void => void lines.push(`  ${label.padEnd(30)} ${value}`);
  lines.push(
    `tscsim calc: host ${group(input.hostKhz)} kHz (${formatKhz(input.hostKhz)}), guest ${group(input.guestKhz)} kHz (${formatKhz(input.guestKhz)}), ${input.vendor.toUpperCase()} (${r.fracBits} fraction bits)`,
    "",
    "TSC scaling (KVM_SET_TSC_KHZ)",
  );
  row("no-scaling window", `${group(r.tolerance.lowKhz)} .. ${group(r.tolerance.highKhz)} kHz (±${input.tolerancePpm} ppm)`);
  row("scaling applies", r.scaling ? "yes" : "no: guest TSC runs at the host rate, virtual_tsc_khz stays the requested value");
  row("ratio", `${hex(r.ratio)} = ${r.ratio} (${r.ratioValue.toPrecision(12)})`);
  row("max guest kHz", group(r.maxGuestKhz));
  lines.push("", "Conversions (see docs/kvm-timer-model.md)");
  row("ns -> guest cycles", `mult ${hex(BigInt(r.nsToCycles.mult))} (${r.nsToCycles.mult}), shift ${r.nsToCycles.shift}   [virtual_tsc_mult/shift]`);
  if (r.kvmclock) {
    row("kvmclock cycles -> ns", `mult ${hex(BigInt(r.kvmclock.mult))} (${r.kvmclock.mult}), shift ${r.kvmclock.shift}   [for ${group(r.kvmclockGuestKhz)} kHz = kvm_scale_tsc(host kHz)]`);
  } else {
    row("kvmclock cycles -> ns", `none: kvm_scale_tsc(host kHz) = ${r.kvmclockGuestKhz}, kvm_get_time_scale would never terminate`);
  }
  row("advance", `${input.advanceNs} ns = ${r.advanceCycles} guest cycles (nsec_to_cycles)`);
  lines.push("", `Worked example: deadline ${group(input.deadlineAheadNs)} ns ahead (host TSC ${group(ex.hostTsc)}, L1 offset 0)`);
  row("guest TSC now / deadline", `${ex.guestTsc} / ${ex.deadlineTsc} (+${ex.deadlineTsc - ex.guestTsc} cycles)`);
  if (ex.sw.kind === "armed") {
    const inNs = ex.sw.expiryNs - 1_000_000_000_000n;
    row("sw hrtimer", `armed at now + ${group(inNs)} ns (advance ${input.advanceNs} ns early)   [start_sw_tscdeadline]`);
  } else {
    row("sw hrtimer", ex.sw.kind === "expire-now" ? "expires at once (deadline within the advance)" : "not armed");
  }
  if (ex.hv.status === "ok") {
    row("hv timer delta", `${ex.deadlineTsc - ex.guestTsc} - ${ex.hv.advanceCycles} guest cycles -> ${group(ex.hv.deltaHostCycles)} host cycles${ex.hv.expired ? " (expired)" : ""}   [vmx_set_hv_timer]`);
    row("preemption-timer value", `${group(ex.hv.timerValue)} (rate 5: one tick per 32 host cycles)`);
  } else if (ex.hv.status === "erange") {
    row("hv timer", "-ERANGE: the delta does not fit the 32-bit preemption timer; KVM falls back to the hrtimer");
  } else {
    row("hv timer", ex.hv.reason);
  }
  const bw = ex.busyWait;
  const how =
    bw.kind === "scaled"
      ? `ndelay(${bw.delayNs} ns) = ${group(bw.hostCycles)} host cycles`
      : `__delay(${group(bw.hostCycles)}) host cycles`;
  row("busy-wait before entry", `${ex.waitGuestCycles} guest cycles left -> ${how} ≈ ${group(bw.hostNs)} ns   [__wait_lapic_expire, ${bw.kind} TSC]`);
  lines.push("", "ns -> cycles -> ns round trip (nsec_to_cycles, then the do_div form)");
  for (const t of r.roundTrips) {
    row(`${group(t.ns)} ns`, `${group(t.cycles)} cycles -> ${group(t.backNs)} ns (error ${sign(t.errorNs)} ns)`);
  }
  return lines.join("\n");
}

/** JSON form: u64 values as decimal strings (JSON numbers cannot hold them exactly). */
function calcJson(r: CalcReport): string {
  return JSON.stringify(r, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);
}

export function registerCalc(program: Command): void {
  program
    .command("calc")
    .description("print what KVM computes for a host/guest TSC pair: ratio, mult/shift, advance, a worked deadline")
    .option("--host <freq>", "host TSC rate (2994MHz, 2.994GHz, 2994000kHz or bare kHz)", "2994MHz")
    .option("--guest <freq>", "guest TSC rate requested with KVM_SET_TSC_KHZ", "2.1GHz")
    .option("--vendor <vmx|svm>", "VMX (48 fraction bits, preemption timer) or SVM (32, hrtimer only)", "vmx")
    .option("--advance <duration>", "timer_advance_ns (1000ns, 1us, or bare ns)", "1000ns")
    .option("--deadline <duration>", "how far ahead the worked example's deadline is", "1ms")
    .option("--tolerance-ppm <ppm>", "tsc_tolerance_ppm", String(DEFAULT_TSC_TOLERANCE_PPM))
    .option("--format <table|json>", "table for people, json for tools (u64 values as decimal strings), like the other commands")
    .option("--json", "the same as --format json")
    .addHelpText(
      "after",
      "\nExamples:\n  tscsim calc --host 2994MHz --guest 2.1GHz\n  tscsim calc --host 3GHz --guest 2999249 --vendor svm --format json",
    )
    .action(async (opts: CalcOptions) => {
      if (opts.format !== undefined && opts.format !== "table" && opts.format !== "json") throw new InputRangeError("--format", opts.format, '"table" or "json"');
      const json = opts.format === "json" || (opts.json === true && opts.format !== "table");
      const vendor = opts.vendor.toLowerCase();
      if (vendor !== "vmx" && vendor !== "svm") throw new InputRangeError("--vendor", vendor, '"vmx" or "svm"');
      const advanceNs = parseDurationNs("--advance", opts.advance);
      if (advanceNs > 0xffffffffn) throw new InputRangeError("--advance", opts.advance, "at most 4294967295 ns (timer_advance_ns is a u32)");
      const ppm = Number(opts.tolerancePpm);
      if (!/^\d+$/.test(opts.tolerancePpm) || ppm > 0x7fffffff) throw new InputRangeError("--tolerance-ppm", opts.tolerancePpm, "a whole number of ppm, 0..2147483647");
      // The wasm kernels load when the command runs, not at start-up (docs/performance.md).
      const { calcReport } = await import("../calc/report.js");
      const report = calcReport({
        hostKhz: parseFrequencyKhz("--host", opts.host),
        guestKhz: parseFrequencyKhz("--guest", opts.guest),
        vendor,
        advanceNs: Number(advanceNs),
        deadlineAheadNs: parseDurationNs("--deadline", opts.deadline),
        tolerancePpm: ppm,
      });
      process.stdout.write(`${json ? calcJson(report) : renderCalc(report)}\n`);
    });
}
