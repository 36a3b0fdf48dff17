// kvm.era: which kernel's timer-advance and hv-timer behaviour to reproduce
// (spec §5.2; seed-history.md §3.4). Here: what each era lets a scenario ask for; the
// behaviour itself is the simulator's era policy.

import type { Era } from "./types.js";
import { ERAS } from "../sim/eras.js";

export const ERA_NAMES = ["v4.0", "v4.20", "v5.1", "v5.4", "mainline"] as const satisfies readonly Era[];

/** Eras that have the VMX-preemption-timer backend (ce7a058a2117, ≈v4.8; spec §6.1). */
export function eraHasHvTimer(era: Era): boolean {
  return ERAS[era].hvTimer;
}

/** What kvm.timerAdvance values an era can express (spec §5.2), and why the others are not. */
export function eraAdvanceRule(era: Era): { allows: readonly ("adaptive" | "off" | "fixed")[]; why: string } {
  switch (era) {
    case "v4.0":
      return { allows: ["off", "fixed"], why: 'v4.0 has no tuning: lapic_timer_advance_ns is a static value, 0 = off' };
    case "v4.20":
      return { allows: ["adaptive", "off"], why: "v4.20 always tunes a non-zero advance: fixed values arrived in v5.1 (c3941d9e0ccd)" };
    case "v5.1":
    case "v5.4":
      return { allows: ["adaptive", "off", "fixed"], why: "" };
    case "mainline":
      return { allows: ["adaptive", "off"], why: "mainline's lapic_timer_advance is a bool: fixed values were dropped in ≈v6.11; use kvm.era v5.4 for one" };
  }
}
