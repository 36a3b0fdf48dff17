// vms.<i>.workload: the built-in guest programs of issue #3 §6 in the file form,
// normalised to Workload. Register values (tmict, tdcr) may be written as integers or
// "0x..." strings, as they appear in the SDM and in kvm-unit-tests.

import { z } from "zod";
import type { Workload } from "./types.js";
import { bool, duration, intIn, oneOf, strict } from "./fields.js";

export const WORKLOAD_KINDS = ["tscdeadline-latency", "cyclictest", "periodic", "oneshot", "rearm-storm", "idle-tick"] as const satisfies readonly Workload["kind"][];

/** kvm-unit-tests x86/tscdeadline_latency.c TABLE_SIZE: the default and the most samples (spec §8.1). */
export const TSCDEADLINE_LATENCY_MAX_SIZE = 10000;

const WORKLOAD_OBJECT = 'a workload object such as {"kind":"cyclictest","interval":"1ms"}';
const U32_REGISTER = 'a 32-bit register value: an integer 0..4294967295 or a hex string such as "0xb"';

/** A 32-bit APIC register value written by the guest: integer or "0x..." string. */
function register32(lo: number) {
  const allowed = lo === 0 ? U32_REGISTER : `${U32_REGISTER}, at least ${lo}`;
  return z.union([z.number(), z.string()], { error: allowed }).transform((v, ctx): number => {
    const n = typeof v === "number" ? v : /^0x[0-9a-f]{1,8}$/i.test(v.trim()) ? Number.parseInt(v.trim().slice(2), 16) : Number.NaN;
    if (!Number.isInteger(n) || n < lo || n > 0xffffffff) {
      ctx.addIssue({ code: "custom", message: allowed, input: v });
      return z.NEVER;
    }
    return n;
  });
}

const MAX_COUNT = Number.MAX_SAFE_INTEGER;

const workloadFile = z.discriminatedUnion("kind", [
  strict(
    {
      kind: z.literal("tscdeadline-latency"),
      // argv[1]: guest TSC cycles from one interrupt's rdtsc to the next deadline (spec §8.1).
      delta: intIn(1, MAX_COUNT, " guest TSC cycles").prefault(200000),
      // argv[2]: samples to record; the test caps it at TABLE_SIZE.
      size: intIn(1, TSCDEADLINE_LATENCY_MAX_SIZE, " samples (the test's TABLE_SIZE is the maximum)").prefault(TSCDEADLINE_LATENCY_MAX_SIZE),
      // argv[3]: stop re-arming once a latency exceeds this many cycles; 0 = off.
      breakmax: intIn(0, MAX_COUNT, " guest TSC cycles (0 = off)").prefault(0),
      printLatencies: bool().prefault(false),
      idle: oneOf(["halt", "poll"] as const).prefault("halt"),
    },
    WORKLOAD_OBJECT,
  ),
  strict(
    {
      kind: z.literal("cyclictest"),
      interval: duration({ minNs: 1 }).prefault("1ms"),
      loops: intIn(0, MAX_COUNT, " (0 = until the scenario's duration)").prefault(0),
      printSummary: bool().prefault(false),
      deadlineMsr: oneOf(["tsc", "pv"] as const).prefault("tsc"),
      work: duration({ minNs: 0 }).prefault(0),
      idle: oneOf(["halt", "poll"] as const).prefault("halt"),
    },
    WORKLOAD_OBJECT,
  ),
  strict(
    {
      kind: z.literal("idle-tick"),
      hz: intIn(1, 100_000, " Hz (CONFIG_HZ: 100, 250, 300, 1000)").prefault(250),
      nohz: bool().prefault(false),
    },
    WORKLOAD_OBJECT,
  ),
  strict(
    {
      kind: z.literal("periodic"),
      // 1,000,000 bus cycles at TDCR 0xb (divide by 1) and the default 1 ns bus cycle: a 1 ms period.
      tmict: register32(1).prefault(1_000_000),
      tdcr: register32(0).prefault(0xb),
      wait: oneOf(["hlt", "busy"] as const).prefault("hlt"),
    },
    WORKLOAD_OBJECT,
  ),
  strict(
    {
      kind: z.literal("rearm-storm"),
      interval: duration({ minNs: 1 }).prefault("100us"),
      rewrites: intIn(0, 1_000_000, " deadline rewrites per period").prefault(4),
      spacing: duration().prefault("5us"),
    },
    WORKLOAD_OBJECT,
  ),
  strict(
    {
      kind: z.literal("oneshot"),
      tmict: register32(1).prefault(1_000_000),
      tdcr: register32(0).prefault(0xb),
      gap: duration().prefault(0),
      wait: oneOf(["hlt", "busy"] as const).prefault("hlt"),
    },
    WORKLOAD_OBJECT,
  ),
], { error: (iss) => ((iss as { code: string }).code === "invalid_type" ? WORKLOAD_OBJECT : undefined) });

/** One workload in the file form, normalised to Workload. */
export const workloadSchema = workloadFile.transform((w): Workload => {
  switch (w.kind) {
    case "tscdeadline-latency":
      return { kind: w.kind, deltaCycles: w.delta, size: w.size, breakmaxCycles: w.breakmax, printLatencies: w.printLatencies, idle: w.idle };
    case "cyclictest":
      return { kind: w.kind, intervalNs: w.interval, loops: w.loops, printSummary: w.printSummary, deadlineMsr: w.deadlineMsr, workNs: w.work, idle: w.idle };
    case "idle-tick":
      return { kind: w.kind, hz: w.hz, nohz: w.nohz };
    case "periodic":
      return { kind: w.kind, tmict: w.tmict, tdcr: w.tdcr, wait: w.wait };
    case "oneshot":
      return { kind: w.kind, tmict: w.tmict, tdcr: w.tdcr, gapNs: w.gap, wait: w.wait };
    case "rearm-storm":
      return { kind: w.kind, intervalNs: w.interval, rewrites: w.rewrites, spacingNs: w.spacing };
  }
});

export type WorkloadFile = z.input<typeof workloadSchema>;

/** Workloads that arm IA32_TSC_DEADLINE and so need the guest CPUID bit. */
export function needsTscDeadline(w: Workload): boolean {
  return w.kind === "tscdeadline-latency" || w.kind === "cyclictest" || w.kind === "rearm-storm" || (w.kind === "idle-tick" && !w.nohz);
}
