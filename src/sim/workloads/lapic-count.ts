// Periodic and one-shot workloads: LVTT through TMICT/TDCR. The latency recorded is the
// guest TSC in the handler minus the ideal expiry (TMICT write + k periods in guest
// cycles, with the 200 µs periodic floor), so the phase shift of a backend shows up.

import { type GuestCtx, type GuestGenerator, type GuestProgram } from "../guest.js";
import { APIC_LVTT, APIC_TDCR, APIC_TMICT, LVTT_PERIODIC } from "../apic-regs.js";
import { tmictToNs } from "../../math/lapic-timer.js";
import { guestCyclesOfNs } from "../guest-time.js";

const VECTOR = 0xed;
const R_EXPECTED = 0;
const R_NOW = 1;
/** The previous interrupt's handler TSC (the TMICT write's before the first): per-period lateness. */
const R_PREVIOUS = 2;

export interface LapicCountParams {
  tmict: number;
  tdcr: number;
  /** One-shot only: guest time between the interrupt and re-arming. */
  gapNs: number;
  /** HLT until the interrupt, or stay busy in guest mode (the hv timer then stays in use). */
  wait: "hlt" | "busy";
  apicBusCycleNs: number;
  minTimerPeriodUs: number;
}

function periodCycles(g: GuestCtx, p: LapicCountParams, periodic: boolean): number {
  let ns = Number(tmictToNs(p.tmict, p.tdcr, p.apicBusCycleNs));
  if (periodic) ns = Math.max(ns, p.minTimerPeriodUs * 1000);
  return guestCyclesOfNs(ns, g.tscKhz);
}

export function periodic(p: LapicCountParams): GuestProgram {
  return {
    *main(g: GuestCtx): GuestGenerator {
      const cycles = periodCycles(g, p, true);
      cyclesOf.set(g, cycles);
      yield g.writeApic(APIC_TDCR, p.tdcr);
      yield g.writeApic(APIC_LVTT, LVTT_PERIODIC | VECTOR);
      g.rdtscTo(R_EXPECTED);
      g.regAdd(R_PREVIOUS, R_EXPECTED, 0);
      yield g.writeApic(APIC_TMICT, p.tmict);
      for (;;) yield p.wait === "busy" ? g.compute(BUSY_STEP_NS) : g.hlt();
    },
    *interrupt(g: GuestCtx): GuestGenerator {
      g.rdtscTo(R_NOW);
      g.regAdd(R_EXPECTED, R_EXPECTED, cyclesOf.get(g)!);
      g.recordLatency(g.regDiff(R_NOW, R_EXPECTED));
      g.recordPeriodLateness(g.regDiff(R_NOW, R_PREVIOUS) - cyclesOf.get(g)!);
      g.regAdd(R_PREVIOUS, R_NOW, 0);
      yield g.eoi();
    },
  };
}

export function oneshot(p: LapicCountParams): GuestProgram {
  return {
    *main(g: GuestCtx): GuestGenerator {
      cyclesOf.set(g, periodCycles(g, p, false));
      yield g.writeApic(APIC_TDCR, p.tdcr);
      yield g.writeApic(APIC_LVTT, VECTOR);
      for (;;) {
        g.rdtscTo(R_EXPECTED);
        g.regAdd(R_EXPECTED, R_EXPECTED, cyclesOf.get(g)!);
        const before = firedOf.get(g) ?? 0;
        yield g.writeApic(APIC_TMICT, p.tmict);
        while ((firedOf.get(g) ?? 0) === before) yield p.wait === "busy" ? g.compute(BUSY_STEP_NS) : g.hlt();
        if (p.gapNs > 0) yield g.compute(p.gapNs);
      }
    },
    *interrupt(g: GuestCtx): GuestGenerator {
      g.rdtscTo(R_NOW);
      g.recordLatency(g.regDiff(R_NOW, R_EXPECTED));
      firedOf.set(g, (firedOf.get(g) ?? 0) + 1);
      yield g.eoi();
    },
  };
}

/** Guest work between checks when waiting busy. */
const BUSY_STEP_NS = 10_000;

const cyclesOf = new WeakMap<GuestCtx, number>();
const firedOf = new WeakMap<GuestCtx, number>();
