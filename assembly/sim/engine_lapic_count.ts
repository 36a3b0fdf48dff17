// The wasm engine's LAPIC timer in one-shot and periodic mode (LVTT, TDCR, TMICT):
// src/sim/lapic.ts's LapicTimer methods that the `oneshot` and `periodic` workloads reach,
// step for step (spec §4.4, §4.5, §6.3). TSC-deadline mode is engine_lapic_start.ts and
// engine_lapic.ts; their entry points (restartApicTimer, startSwTimer, expired,
// injectTimerIrq) branch here or on engine_lapic_mode.ts by the VM's timer mode. The
// decisions themselves are vcpu_timer.ts's, which lapic.ts calls too.
//
// Per-vCPU state needs no side array: a VM's vCPUs all write the same TDCR, LVTT and
// TMICT (the workload's), so those are per-VM cells, and the run state (pending, hv timer
// in use, vector to deliver, in service) is the engine record's flags, as in deadline mode.

import { simNowNs } from "./host_clock";
import { vcpuAdvance } from "./vcpu_timer";
import { tdIsZero } from "./vcpu_regs";
import { callbackAtExpiryPlusPeriodNs, callbackAtTargetNs, pushAtTarget, periodIsZero, periodicRearm, periodicRearmLegacyDrift, readTmcct, setTargetExpiration, setTargetExpirationFromCount, swExpiryCallbackAtNs, swExpiryInNs, targetPassed } from "./vcpu_sw_timer";
import { hvArm } from "./vcpu_hv_timer";
import { tdcrDivide } from "../lapic_timer";
import { hvExpired } from "../hv_timer";
import { Count, count } from "./engine_metrics";
import { horizonNs, queuePush, queueReserveSeq } from "./event_queue";
import { D_HRTIMER, EV_HRTIMER, F_HRTIMER_HELD, F_HV_IN_USE, F_PENDING, HRTIMER_AT_NS, HRTIMER_SEQ, chaining, clear, delay, globalAdvance, has, hvTimer, payloadOf, preemptionRate, set, VM_HV_TIMER, vmCell } from "./engine_record";
import { armHvTimer, cancelHrtimer, cancelHvTimer, expired } from "./engine_lapic";
import { TraceKind, trace } from "./trace_log";
import { TM_DEADLINE, TM_ONESHOT, TM_PERIODIC, advanceOneshot, hvLatchesDeadline, timerMode } from "./engine_lapic_mode";

// Per-VM cells 18-27 (engine_record.ts): the LAPIC one-shot/periodic workloads, pauses,
// migrations. Cell 18 (VM_TIMER_MODE) and the mode tests are engine_lapic_mode.ts's.
export { VM_TIMER_MODE, TM_DEADLINE, TM_ONESHOT, TM_PERIODIC, timerMode, latchesDeadline } from "./engine_lapic_mode";
/** The workload's TMICT and TDCR (every vCPU of the VM writes the same). */
export const VM_TMICT = 19;
export const VM_TDCR = 20;
/** The workload's period in guest cycles at its boot calibration (lapic-count.ts periodCycles). */
export const VM_PERIOD_CYCLES = 21;
/** One-shot: guest ns of work between the interrupt and re-arming. */
export const VM_GAP_NS = 22;
/** The workload waits busy in guest mode (wait: "busy") instead of HLT. */
export const VM_WAIT_BUSY = 23;

// Flag bits 1<<18..1<<21 (engine_record.ts).
/** One-shot: the timer interrupt came since the last TMICT write (lapic-count.ts firedOf). */
export const F_FIRED: u32 = 1 << 18;
/** The workload wrote TMICT (before, LapicTimer.tmict is 0: a restore has no count to start). */
export const F_TMICT_SET: u32 = 1 << 20;

// Scenario-wide (ctEngineLapicConfigure).
let busCycleNs: u32 = 1;
let minTimerPeriodUs: u32 = 200;
let rearmVariant: i32 = 0;
let legacyPeriodicDrift: bool = false;
let hrtimerFollowsTarget: bool = true;
let restoreExpiredOneshotNow: bool = true;

/** LapicTimerOptions and EraPolicy fields the one-shot/periodic paths read (set for every run). */
export function ctEngineLapicConfigure(apicBusCycleNs: u32, minPeriodUs: u32, periodicRearmVariant: i32, legacyDrift: bool, advanceOneshotOn: bool, hvLatches: bool, followsTarget: bool, restoreOneshotNow: bool): void {
  restoreExpiredOneshotNow = restoreOneshotNow;
  busCycleNs = apicBusCycleNs;
  minTimerPeriodUs = minPeriodUs;
  rearmVariant = periodicRearmVariant;
  legacyPeriodicDrift = legacyDrift;
  advanceOneshot = advanceOneshotOn;
  hvLatchesDeadline = hvLatches;
  hrtimerFollowsTarget = followsTarget;
}

/** LapicTimer.writeTmict (apic_reg_write APIC_TMICT): cancel_apic_timer, then start_apic_timer. */
export function writeTmict(e: usize, v: i32): void {
  set(e, F_TMICT_SET);
  cancelHrtimer(e, v);
  if (has(e, F_HV_IN_USE)) cancelHvTimer(e, v);
  clear(e, F_PENDING);
  // start_apic_timer: set_target_expiration (nothing to start for a zero period), restart_apic_timer.
  if (!setTargetExpiration(v, u32(vmCell(e, VM_TMICT)), u32(vmCell(e, VM_TDCR)), busCycleNs, timerMode(e) == TM_PERIODIC, minTimerPeriodUs)) return;
  countRestartApicTimer(e, v);
}

/**
 * LapicTimer.restartFromTmcct, after a migration: kvm_apic_set_state →
 * __start_apic_timer(apic, APIC_TMCCT) — pending dropped, the first deadline from the
 * saved TMCCT (apic_get_tmcct), converted with the vCPU's new TSC rate.
 */
export function restartFromTmcct(e: usize, v: i32): void {
  const written = has(e, F_TMICT_SET);
  const tmict = written ? u32(vmCell(e, VM_TMICT)) : 0;
  const tdcr = u32(vmCell(e, VM_TDCR));
  // The workload writes TDCR before TMICT: with no TMICT the divide plays no part.
  const left = readTmcct(v, tmict, busCycleNs, written ? tdcrDivide(tdcr) : 2);
  cancelHrtimer(e, v);
  if (has(e, F_HV_IN_USE)) cancelHvTimer(e, v);
  clear(e, F_PENDING);
  if (!setTargetExpirationFromCount(v, tmict, left, tdcr, busCycleNs, timerMode(e) == TM_PERIODIC, minTimerPeriodUs, restoreExpiredOneshotNow)) return;
  countRestartApicTimer(e, v);
}

/** LapicTimer.restartApicTimer (restart_apic_timer) in one-shot/periodic mode. */
export function countRestartApicTimer(e: usize, v: i32): void {
  if (timerMode(e) != TM_PERIODIC && has(e, F_PENDING)) return;
  if (!countStartHvTimer(e, v)) countStartSwTimer(e, v);
}

/** LapicTimer.startHvTimer (start_hv_timer) in one-shot/periodic mode. */
function countStartHvTimer(e: usize, v: i32): bool {
  if (!armHvTimer(e, v)) return false;
  // A periodic timer stays on the hv timer even when its first expiry is already due.
  if (timerMode(e) != TM_PERIODIC) {
    if (has(e, F_PENDING)) {
      cancelHvTimer(e, v);
    } else if (hvExpired) {
      expired(e, v, false);
      cancelHvTimer(e, v);
    }
  }
  return true;
}

/** LapicTimer.startSwTimer (start_sw_timer → start_sw_period) in one-shot/periodic mode. */
export function countStartSwTimer(e: usize, v: i32): void {
  if (has(e, F_HV_IN_USE)) cancelHvTimer(e, v);
  const mode = timerMode(e);
  if (mode != TM_PERIODIC && has(e, F_PENDING)) return;
  if (periodIsZero(v)) return;
  if (targetPassed(v)) {
    expired(e, v, false);
    if (mode == TM_ONESHOT) return;
    advancePeriodicTarget(v);
  }
  // No advance for one-shot/periodic on the hrtimer (spec §5.3), unless kvm.advanceOneshot.
  const d = delay(D_HRTIMER, v);
  const earlyNs = advanceOneshot && mode == TM_ONESHOT ? f64(vcpuAdvance(v, globalAdvance)) : 0;
  cancelHrtimer(e, v);
  store<i64>(e + HRTIMER_SEQ, i64(pushAtTarget(v, payloadOf(EV_HRTIMER, v), d, earlyNs)));
  armed(e, v, d);
  trace(TraceKind.HvTimerState, v, 0);
}

/** Vcpu.armHrtimer's bookkeeping after the push: the callback's time, the trace, the count. */
// @ts-ignore: decorator
@inline
function armed(e: usize, v: i32, delayNs: f64): void {
  store<i64>(e + HRTIMER_AT_NS, swExpiryCallbackAtNs(v, delayNs));
  trace(TraceKind.HrtimerStart, v, f64(simNowNs) + swExpiryInNs(v));
  count(v, Count.SwArms);
}

/** LapicTimer.advancePeriodicTarget: advance_periodic_target_expiration with the era's variant, or the legacy drift. */
export function advancePeriodicTarget(v: i32): void {
  if (legacyPeriodicDrift) periodicRearmLegacyDrift(v);
  else periodicRearm(v, rearmVariant);
}

/**
 * The rest of apic_timer_fn after apic_timer_expired (LapicTimer.hrtimerFired and
 * Vcpu.hrtimerCallback): a periodic timer advances its target and the hrtimer restarts
 * (HRTIMER_RESTART), at the new target (mainline) or at its own expiry plus the period.
 * For a timer in periodic mode only (the caller checks the mode).
 */
export function countHrtimerRestart(e: usize, v: i32): void {
  if (periodIsZero(v)) return;
  advancePeriodicTarget(v);
  const d = delay(D_HRTIMER, v);
  const at = hrtimerFollowsTarget ? callbackAtTargetNs(v, d, 0) : callbackAtExpiryPlusPeriodNs(v, d);
  // Chaining holds the restarted hrtimer back with the seq its push would take: the vCPU's
  // entry after the wake-up it is about to take switches to the preemption timer and
  // cancels it (kvm_lapic_switch_to_hv_timer), a push and a stale pop per period saved.
  // Within the horizon only: there the TypeScript engine pops (and counts) it by the end
  // (engine_chain.ts flushChain pushes it if it outlives the chain; engine_lapic.ts
  // dropHeldHrtimer counts it when cancelled).
  if (chaining && at <= horizonNs) {
    store<i64>(e + HRTIMER_SEQ, i64(queueReserveSeq()));
    set(e, F_HRTIMER_HELD);
  } else {
    store<i64>(e + HRTIMER_SEQ, i64(queuePush(at, payloadOf(EV_HRTIMER, v))));
  }
  armed(e, v, d);
}

/** The end of kvm_lapic_expired_hv_timer (LapicTimer.hvTimerFired): a periodic timer advances and restarts (periodic mode only: the caller checks). */
export function countHvRestart(e: usize, v: i32): void {
  if (periodIsZero(v)) return;
  advancePeriodicTarget(v);
  countRestartApicTimer(e, v);
}
