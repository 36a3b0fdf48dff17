// host.delays: the seeded host-side latency distributions of issue #3 §3, in the file
// form ({"dist":"lognormal","median":"1.5us","p99":"6us"}) and normalised to DelayDist
// (…Ns fields). The defaults model an idle, non-isolated server host; see
// docs/scenario-format.md for the reasoning behind each.

import { z } from "zod";
import type { DelayDist, HostDelays } from "./types.js";
import { duration, positive, strict } from "./fields.js";
import { groupDigits } from "../group-digits.js";

export const DELAY_NAMES = ["hrtimer", "wakeup", "vmExit", "vmEntry", "irqDispatch", "msrExit", "cpuIdleExit"] as const satisfies readonly (keyof HostDelays)[];

/** Most samples an empirical distribution may list. */
export const MAX_EMPIRICAL_SAMPLES = 1_000_000;

const DIST_OBJECT = 'a distribution object such as {"dist":"fixed","value":"300ns"}';

function fixedShape() {
  return { dist: z.literal("fixed"), value: duration() };
}
function uniformShape() {
  return { dist: z.literal("uniform"), min: duration(), max: duration() };
}
function normalShape() {
  return { dist: z.literal("normal"), mean: duration(), sd: duration() };
}
function lognormalShape() {
  return { dist: z.literal("lognormal"), median: duration({ minNs: 1 }), p99: duration({ minNs: 1 }) };
}
function empiricalShape() {
  return {
    dist: z.literal("empirical"),
    samples: z.array(duration(), { error: `a list of 1..${groupDigits(MAX_EMPIRICAL_SAMPLES)} durations` }).min(1).max(MAX_EMPIRICAL_SAMPLES),
  };
}

/** uniform: min <= max. */
function uniformOrdered(v: { min: number; max: number }, ctx: z.RefinementCtx): void {
  if (v.min > v.max) ctx.addIssue({ code: "custom", path: ["max"], message: `a duration >= min (${v.min} ns)`, input: v.max });
}
/** lognormal: p99 >= median (equal means no spread). */
function lognormalOrdered(v: { median: number; p99: number }, ctx: z.RefinementCtx): void {
  if (v.p99 < v.median) ctx.addIssue({ code: "custom", path: ["p99"], message: `a duration >= median (${v.median} ns)`, input: v.p99 });
}

const weight = { weight: positive("a finite number > 0 (relative weight; the weights need not sum to 1)") };

/** A mixture part: any non-mixture distribution plus a weight (mixtures do not nest: flatten them). */
const mixturePart = z.discriminatedUnion("dist", [
  strict({ ...weight, ...fixedShape() }, DIST_OBJECT),
  strict({ ...weight, ...uniformShape() }, DIST_OBJECT).superRefine(uniformOrdered),
  strict({ ...weight, ...normalShape() }, DIST_OBJECT),
  strict({ ...weight, ...lognormalShape() }, DIST_OBJECT).superRefine(lognormalOrdered),
  strict({ ...weight, ...empiricalShape() }, DIST_OBJECT),
], { error: (iss) => ((iss as { code: string }).code === "invalid_type" ? `a mixture part: ${DIST_OBJECT} with a "weight"` : undefined) });

const distFile = z.discriminatedUnion("dist", [
  strict(fixedShape(), DIST_OBJECT),
  strict(uniformShape(), DIST_OBJECT).superRefine(uniformOrdered),
  strict(normalShape(), DIST_OBJECT),
  strict(lognormalShape(), DIST_OBJECT).superRefine(lognormalOrdered),
  strict(empiricalShape(), DIST_OBJECT),
  strict(
    {
      dist: z.literal("mixture"),
      parts: z.array(mixturePart, { error: 'a non-empty list of parts such as {"weight":0.9,"dist":"fixed","value":"1us"}' }).min(1),
    },
    DIST_OBJECT,
  ),
], { error: (iss) => ((iss as { code: string }).code === "invalid_type" ? DIST_OBJECT : undefined) });

type DistParsed = z.output<typeof distFile>;
type PartParsed = z.output<typeof mixturePart>;

/** File form (durations already in ns) -> DelayDist. */
function normalise(d: Exclude<DistParsed, { dist: "mixture" }> | PartParsed): DelayDist {
  switch (d.dist) {
    case "fixed":
      return { dist: "fixed", valueNs: d.value };
    case "uniform":
      return { dist: "uniform", minNs: d.min, maxNs: d.max };
    case "normal":
      return { dist: "normal", meanNs: d.mean, sdNs: d.sd };
    case "lognormal":
      return { dist: "lognormal", medianNs: d.median, p99Ns: d.p99 };
    case "empirical":
      return { dist: "empirical", samplesNs: d.samples };
  }
}

/** One host delay distribution in the file form, normalised to DelayDist. */
export const delayDistSchema = distFile.transform((d): DelayDist => {
  if (d.dist !== "mixture") return normalise(d);
  return { dist: "mixture", parts: d.parts.map((p) => ({ weight: p.weight, part: normalise(p) })) };
});

/** The file-form distribution (what a scenario file or preset writes). */
export type DelayDistFile = z.input<typeof delayDistSchema>;

/**
 * Default host delays (file form). Anchors: an idle Skylake-class server, non-isolated
 * CPUs, no nohz_full, numbers from the seed history (seed-history.md §2, §7).
 */
export const DEFAULT_HOST_DELAYS: Record<keyof HostDelays, DelayDistFile> = {
  // hrtimer interrupt -> kvm's callback: C-state exit plus IRQ entry on an idle host.
  hrtimer: { dist: "lognormal", median: "1.5us", p99: "6us" },
  // wake_up of a halted vCPU thread -> it runs: scheduler wakeup, tail from runqueue contention.
  wakeup: { dist: "lognormal", median: "4us", p99: "20us" },
  // VM exit: hardware world switch plus KVM's exit entry path (~half of a ~1200-1500-cycle CPUID round trip).
  vmExit: { dist: "lognormal", median: "250ns", p99: "700ns" },
  // VM entry: the other half of the round trip; the tail is cache/TLB misses (and L1D flush if enabled).
  vmEntry: { dist: "lognormal", median: "250ns", p99: "700ns" },
  // Injected vector -> handler reads its TSC: IDT delivery and the handler prologue (a few hundred cycles).
  irqDispatch: { dist: "lognormal", median: "150ns", p99: "400ns" },
  // WRMSR IA32_TSC_DEADLINE round trip: exit, arm the hrtimer or hv timer (§4.4, §6.2), re-enter.
  msrExit: { dist: "lognormal", median: "800ns", p99: "2500ns" },
  // A CPU idling in the guest's HLT (C1) or MWAIT -> running again: intel_idle lists C1's
  // exit latency as 2 us on Skylake servers (a bound, not a typical value); C1E is 10 us.
  cpuIdleExit: { dist: "lognormal", median: "1us", p99: "4us" },
};

/** host.delays: every name optional (its default applies), unknown names rejected. */
export const hostDelaysSchema = strict(
  Object.fromEntries(DELAY_NAMES.map((name) => [name, delayDistSchema.prefault(DEFAULT_HOST_DELAYS[name])])) as Record<
    (typeof DELAY_NAMES)[number],
    z.ZodPrefault<typeof delayDistSchema>
  >,
  `an object with any of ${DELAY_NAMES.join(", ")}`,
).prefault({});
