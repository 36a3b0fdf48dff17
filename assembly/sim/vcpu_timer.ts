// The kernel timer paths over the per-vCPU 64-bit state in linear memory
// (vcpu_layout.ts; spec §2, §4, §5, §6). The TypeScript state machine drives these by vCPU index
// with small numbers, so no per-event BigInt crosses the boundary (architecture.md).

import { Status } from "../status";
import { cyclesToNs } from "../time_scale";
import { readL1Tsc } from "../tsc_scaling";
import { startSwTscdeadline, swExpiryNs, advancePeriodicTarget, rearmTargetNs, rearmDeadlineTsc, applyPeriodicFloor, tmcct, tmictToNs } from "../lapic_timer";
import { adjustTimerAdvance, adjustTimerAdvanceLegacy, tunerDone, TunerEra, ndelayLoops, busyWaitScaledNs, busyWaitV40Cycles } from "../timer_advance";
import { vmxSetHvTimerCached, hvDeadlineHostTsc } from "../hv_timer";
import { simNowNs, hostTscAt, hostTscNow, nsWhenHostTscReaches, hostKhz } from "./host_clock";
import { queuePush } from "./event_queue";
import {
  RATIO,
  OFFSET,
  TSCDEADLINE,
  EXPIRED_TSCDEADLINE,
  TARGET_NS,
  PERIOD_NS,
  HV_DEADLINE_TSC,
  SW_EXPIRY_NS,
  TSC_KHZ,
  MULT,
  SHIFT,
  ADVANCE_NS,
  FLAGS,
  LAST_DELTA,
  FULL_STRIDE,
  ENGINE_STRIDE,
  stride,
  FLAG_SCALED,
  FLAG_TUNER_DONE,
  statePtr,
  fracBits,
  setVcpuState,
  rec,
  reg,
  guestTscNow,
  nsecToCyclesFor,
  setTscRate,
} from "./vcpu_layout";

/** Kernel eras (scenario kvm.era), in the order of spec §5.2. */
export enum EraCode {
  V4_0 = 0,
  V4_20 = 1,
  V5_1 = 2,
  V5_4 = 3,
  Mainline = 4,
}

let vcpuCount: i32 = 0;
/** v4.20's single global timer_advance_ns and its "adjust done" flag. */
let globalAdvanceNs: u32 = 0;
let globalTunerDone: bool = false;

/** Bytes of a vCPU record: the wasm engine's layout (engineLayout) or the full one. */
export function vcpuStride(engineLayout: bool): i32 {
  return i32(engineLayout ? ENGINE_STRIDE : FULL_STRIDE);
}

/** Frees the vCPU records (simMemoryReserve); vcpuStateInit allocates them again. */
export function vcpuStateRelease(): void {
  if (statePtr != 0) heap.free(statePtr);
  setVcpuState(0, fracBits, stride);
}

/** n vCPU records, in the wasm cyclictest engine's compact layout when engineLayout. */
export function vcpuStateInit(n: i32, vendorFracBits: u32, engineLayout: bool): void {
  vcpuStateRelease();
  const bytes = usize(max(n, 1)) * usize(vcpuStride(engineLayout));
  const ptr = heap.alloc(bytes);
  memory.fill(ptr, 0, bytes);
  setVcpuState(ptr, vendorFracBits, usize(vcpuStride(engineLayout)));
  vcpuCount = n;
  globalAdvanceNs = 0;
  globalTunerDone = false;
}


/** Sets the vCPU's L1 TSC (ratio, offset) and virtual_tsc_khz with its mult/shift (kvm_set_tsc_khz). */
export function vcpuSetTsc(v: i32, ratio: u64, offset: u64, tscKhz: u32): void {
  const p = rec(v);
  setTscRate(p, ratio, tscKhz);
  store<u64>(p + OFFSET, offset);
  store<u64>(p + HV_DEADLINE_TSC, u64.MAX_VALUE);
}

export function vcpuSetAdvance(v: i32, advanceNs: u32, global: bool): void {
  if (global) globalAdvanceNs = advanceNs;
  else store<u32>(rec(v) + ADVANCE_NS, advanceNs);
}

export function vcpuAdvance(v: i32, global: bool): u32 {
  return global ? globalAdvanceNs : load<u32>(rec(v) + ADVANCE_NS);
}



// ---- guest registers: 64-bit values a guest program keeps, addressed by number ----


/** RDTSC into register r. */
export function gRdtsc(v: i32, r: i32): void {
  const p = rec(v);
  store<u64>(reg(p, r), guestTscNow(p));
}

/** r = src + imm (u64 wrap; imm a whole number, may be negative). */
export function gAddImm(v: i32, dst: i32, src: i32, imm: f64): void {
  const p = rec(v);
  store<u64>(reg(p, dst), load<u64>(reg(p, src)) + u64(i64(imm)));
}

export function gSetImm(v: i32, r: i32, imm: f64): void {
  store<u64>(reg(rec(v), r), u64(i64(imm)));
}

/** s64(a - b) as f64: a small signed difference such as a latency in cycles. */
export function gDiff(v: i32, a: i32, b: i32): f64 {
  const p = rec(v);
  return f64(i64(load<u64>(reg(p, a)) - load<u64>(reg(p, b))));
}

export function gGet(v: i32, r: i32): u64 {
  return load<u64>(reg(rec(v), r));
}

export function gSet(v: i32, r: i32, value: u64): void {
  store<u64>(reg(rec(v), r), value);
}

/** Register r = tscdeadline (RDMSR IA32_TSC_DEADLINE in deadline mode). */
export function tdToReg(v: i32, r: i32): void {
  const p = rec(v);
  store<u64>(reg(p, r), load<u64>(p + TSCDEADLINE));
}

/** tscdeadline = register r (WRMSR IA32_TSC_DEADLINE). */
export function tdFromReg(v: i32, r: i32): void {
  const p = rec(v);
  store<u64>(p + TSCDEADLINE, load<u64>(reg(p, r)));
}

export function tdIsZero(v: i32): bool {
  return load<u64>(rec(v) + TSCDEADLINE) == 0;
}

export function tdClear(v: i32): void {
  store<u64>(rec(v) + TSCDEADLINE, 0);
}

/** expired_tscdeadline := tscdeadline (apic_timer_expired, spec §4.5 step 2). */
export function expiredTdLatch(v: i32): void {
  const p = rec(v);
  store<u64>(p + EXPIRED_TSCDEADLINE, load<u64>(p + TSCDEADLINE));
}

export function expiredTdIsSet(v: i32): bool {
  return load<u64>(rec(v) + EXPIRED_TSCDEADLINE) != 0;
}

export function expiredTdClear(v: i32): void {
  store<u64>(rec(v) + EXPIRED_TSCDEADLINE, 0);
}

// ---- software timer (hrtimer) ----

/**
 * start_sw_tscdeadline (spec §4.4) at the current time. Returns SwDeadline; an Armed
 * expiry is kept for pushAtSwExpiry.
 */
export function swTscdeadlineArm(v: i32, checkAdvance: bool, global: bool): i32 {
  const p = rec(v);
  const advance = global ? globalAdvanceNs : load<u32>(p + ADVANCE_NS);
  const st = startSwTscdeadline(load<u64>(p + TSCDEADLINE), guestTscNow(p), load<u32>(p + TSC_KHZ), advance, simNowNs, checkAdvance);
  if (st == 2) store<i64>(p + SW_EXPIRY_NS, swExpiryNs);
  return st;
}

/**
 * Schedules the hrtimer callback: the expiry (never before now) plus the callback's
 * delay. Returns the event's seq.
 */
// @ts-ignore: decorator
@inline
function pushHrtimer(expiryNs: i64, payload: u32, delayNs: f64): u32 {
  return queuePush(hrtimerCallbackAtNs(expiryNs, delayNs), payload);
}

/** When an hrtimer expiring at expiryNs (now if past) runs its callback, delayNs later. */
// @ts-ignore: decorator
@inline
function hrtimerCallbackAtNs(expiryNs: i64, delayNs: f64): i64 {
  return (expiryNs > simNowNs ? expiryNs : simNowNs) + i64(delayNs);
}

/** When the hrtimer at the expiry start_sw_tscdeadline computed runs its callback. */
export function swExpiryCallbackAtNs(v: i32, delayNs: f64): i64 {
  return hrtimerCallbackAtNs(load<i64>(rec(v) + SW_EXPIRY_NS), delayNs);
}

/** The hrtimer at the expiry start_sw_tscdeadline computed. */
export function pushAtSwExpiry(v: i32, payload: u32, delayNs: f64): u32 {
  return queuePush(swExpiryCallbackAtNs(v, delayNs), payload);
}

/**
 * The hrtimer at target_expiration - earlyNs (start_sw_period; mainline's periodic re-arm;
 * earlyNs > 0 only for the kvm.advanceOneshot proposal).
 */
export function pushAtTarget(v: i32, payload: u32, delayNs: f64, earlyNs: f64): u32 {
  const p = rec(v);
  const t = load<i64>(p + TARGET_NS) - i64(earlyNs);
  store<i64>(p + SW_EXPIRY_NS, t);
  return pushHrtimer(t, payload, delayNs);
}

/** Pre-2025 periodic re-arm of the hrtimer: its own expiry + period (hrtimer_add_expires_ns). */
export function pushAtExpiryPlusPeriod(v: i32, payload: u32, delayNs: f64): u32 {
  const p = rec(v);
  const t = load<i64>(p + SW_EXPIRY_NS) + load<i64>(p + PERIOD_NS);
  store<i64>(p + SW_EXPIRY_NS, t);
  return pushHrtimer(t, payload, delayNs);
}

/** Host ns until the armed hrtimer expiry (for reports and tests). */
export function swExpiryInNs(v: i32): f64 {
  return f64(load<i64>(rec(v) + SW_EXPIRY_NS) - simNowNs);
}

// ---- one-shot / periodic (spec §4.4, §4.5) ----

/**
 * The period set_target_expiration takes from TMICT (with the periodic floor in periodic
 * mode), stored in the record; a zero period also clears the deadline. Returns the period.
 */
function storePeriodFromTmict(p: usize, tmict: u32, tdcr: u32, busCycleNs: u32, periodic: bool, minTimerPeriodUs: u32): i64 {
  let period = i64(tmictToNs(tmict, tdcr, busCycleNs));
  if (period == 0) store<u64>(p + TSCDEADLINE, 0);
  else if (periodic) period = applyPeriodicFloor(period, minTimerPeriodUs);
  store<i64>(p + PERIOD_NS, period);
  return period;
}

/**
 * set_target_expiration with count_reg = TMICT: period = tmict_to_ns (periodic floor in
 * periodic mode); 0 -> tscdeadline := 0 and false. Else tscdeadline = guest TSC +
 * nsec_to_cycles(period), target = now + period.
 */
export function setTargetExpiration(v: i32, tmict: u32, tdcr: u32, busCycleNs: u32, periodic: bool, minTimerPeriodUs: u32): bool {
  const p = rec(v);
  const period = storePeriodFromTmict(p, tmict, tdcr, busCycleNs, periodic, minTimerPeriodUs);
  if (period == 0) return false;
  store<u64>(p + TSCDEADLINE, guestTscNow(p) + nsecToCyclesFor(p, u64(period)));
  store<i64>(p + TARGET_NS, simNowNs + period);
  return true;
}

/**
 * set_target_expiration(apic, APIC_TMCCT), the restore path (kvm_apic_set_state): the
 * period from TMICT, the first deadline from the saved count; a count at 0 restarts a
 * periodic timer with a full period and fires a one-shot at once when `expiredFiresNow`
 * (8e6ed96cdd50), else with a full period; a count above TMICT's period uses the period.
 */
export function setTargetExpirationFromCount(v: i32, tmict: u32, count: u32, tdcr: u32, busCycleNs: u32, periodic: bool, minTimerPeriodUs: u32, expiredFiresNow: bool): bool {
  const p = rec(v);
  const period = storePeriodFromTmict(p, tmict, tdcr, busCycleNs, periodic, minTimerPeriodUs);
  if (period == 0) return false;
  let deadline = i64(tmictToNs(count, tdcr, busCycleNs));
  if (deadline <= 0) deadline = periodic || !expiredFiresNow ? period : 0;
  else if (deadline > period) deadline = period;
  store<u64>(p + TSCDEADLINE, guestTscNow(p) + nsecToCyclesFor(p, u64(deadline)));
  store<i64>(p + TARGET_NS, simNowNs + deadline);
  return true;
}

/** Re-applies the periodic floor on a mode switch (apic_update_lvtt). */
export function reapplyPeriodicFloor(v: i32, minTimerPeriodUs: u32): void {
  const p = rec(v);
  const period = load<i64>(p + PERIOD_NS);
  if (period != 0) store<i64>(p + PERIOD_NS, applyPeriodicFloor(period, minTimerPeriodUs));
}

export function periodIsZero(v: i32): bool {
  return load<i64>(rec(v) + PERIOD_NS) == 0;
}

export function periodNsF64(v: i32): f64 {
  return f64(load<i64>(rec(v) + PERIOD_NS));
}

/** now > target_expiration (start_sw_period's "already expired" test). */
export function targetPassed(v: i32): bool {
  return simNowNs > load<i64>(rec(v) + TARGET_NS);
}

/** Injection in one-shot mode zeroes target_expiration (spec §4.5). */
export function targetClear(v: i32): void {
  store<i64>(rec(v) + TARGET_NS, 0);
}

export function clearPeriod(v: i32): void {
  store<i64>(rec(v) + PERIOD_NS, 0);
}

/** advance_periodic_target_expiration with the era's variant (PeriodicRearm). */
export function periodicRearm(v: i32, variant: i32): void {
  const p = rec(v);
  advancePeriodicTarget(load<i64>(p + TARGET_NS), load<i64>(p + PERIOD_NS), simNowNs, guestTscNow(p), load<u32>(p + MULT), load<i32>(p + SHIFT), variant);
  store<i64>(p + TARGET_NS, rearmTargetNs);
  store<u64>(p + TSCDEADLINE, rearmDeadlineTsc);
}

/** Pre-d8f2f498d9ed drift model: the deadline advanced by nsec_to_cycles(period) independently. */
export function periodicRearmLegacyDrift(v: i32): void {
  const p = rec(v);
  const period = load<i64>(p + PERIOD_NS);
  store<i64>(p + TARGET_NS, load<i64>(p + TARGET_NS) + period);
  store<u64>(p + TSCDEADLINE, load<u64>(p + TSCDEADLINE) + nsecToCyclesFor(p, u64(period)));
}

/**
 * update_target_expiration (spec §4.4): TDCR changed while running; the remaining time
 * is rescaled by floor(rem * new / old) and tscdeadline moved by the cycle difference.
 */
export function updateTargetExpiration(v: i32, tmict: u32, tdcr: u32, oldDivide: u32, newDivide: u32, busCycleNs: u32, periodic: bool, minTimerPeriodUs: u32): void {
  const p = rec(v);
  let period = i64(tmictToNs(tmict, tdcr, busCycleNs));
  if (periodic) period = applyPeriodicFloor(period, minTimerPeriodUs);
  store<i64>(p + PERIOD_NS, period);
  let remOld = load<i64>(p + TARGET_NS) - simNowNs;
  if (remOld < 0) remOld = 0;
  const remNew = i64((u64(remOld) * u64(newDivide)) / u64(oldDivide));
  const td = load<u64>(p + TSCDEADLINE) + nsecToCyclesFor(p, u64(remNew)) - nsecToCyclesFor(p, u64(remOld));
  store<u64>(p + TSCDEADLINE, td);
  store<i64>(p + TARGET_NS, simNowNs + remNew);
}

/** apic_get_tmcct (spec §4.6) for one-shot/periodic mode. */
export function readTmcct(v: i32, tmict: u32, busCycleNs: u32, divide: u32): u32 {
  const p = rec(v);
  return tmcct(tmict, load<i64>(p + PERIOD_NS), load<i64>(p + TARGET_NS), simNowNs, busCycleNs, divide);
}

// ---- hv timer (VMX preemption timer, spec §6) ----

/** vmx_set_hv_timer for tscdeadline at the current time: Status.Ok or ERange; sets hvExpired. */
export function hvArm(v: i32, rate: u32, maxValue: u64, global: bool): i32 {
  const p = rec(v);
  const advance = global ? globalAdvanceNs : load<u32>(p + ADVANCE_NS);
  const advanceCycles = nsecToCyclesFor(p, u64(advance));
  const host = hostTscNow();
  const st = vmxSetHvTimerCached(load<u64>(p + TSCDEADLINE), readL1Tsc(host, load<u64>(p + RATIO), load<u64>(p + OFFSET), fracBits), host, advanceCycles, load<u64>(p + RATIO), fracBits, rate, maxValue);
  if (st == Status.Ok) store<u64>(p + HV_DEADLINE_TSC, hvDeadlineHostTsc);
  return st;
}

/** vmx_cancel_hv_timer: hv_deadline_tsc = -1. */
export function hvCancel(v: i32): void {
  store<u64>(rec(v) + HV_DEADLINE_TSC, u64.MAX_VALUE);
}

/**
 * At VM entry (vmx_update_hv_timer): the timer is loaded with u32((deadline - tsc) >> rate)
 * (0 once past) and fires after that many ticks of 2^rate host cycles. Schedules the
 * preemption-timer exit for an entry entryInNs from now and returns its seq.
 */
export function pushAtPreemption(v: i32, payload: u32, rate: u32, entryInNs: f64, loadedBeforeWait: bool): u32 {
  preemptionAt = preemptionAtNs(v, rate, entryInNs, loadedBeforeWait);
  return queuePush(preemptionAt, payload);
}

let preemptionAt: i64 = 0;

/** When the preemption timer pushAtPreemption queued last fires (host ns). */
export function lastPreemptionAtNs(): f64 {
  return f64(preemptionAt);
}

/**
 * When the preemption timer of a VM entry entryInNs from now fires (host ns). It counts
 * from VM entry; its value is computed now when the entry programs it before the
 * busy-wait (vmx_update_hv_timer before kvm_wait_lapic_expire in vmx_vcpu_run,
 * 010fd37fddf6), else at entry (the busy-wait in vcpu_enter_guest came first).
 */
export function preemptionAtNs(v: i32, rate: u32, entryInNs: f64, loadedBeforeWait: bool): i64 {
  const deadline = load<u64>(rec(v) + HV_DEADLINE_TSC);
  const entry = hostTscAt(simNowNs + i64(entryInNs));
  const loadedAt = loadedBeforeWait ? hostTscNow() : entry;
  const value: u64 = deadline > loadedAt ? u64(u32((deadline - loadedAt) >> u64(rate))) : 0;
  return nsWhenHostTscReaches(entry + (value << u64(rate)));
}

// ---- advancement and the busy-wait (spec §5.4) ----

/** G - D of the last waitLapicExpire (guest cycles), for traces and tests. */
export function lastWaitDelta(v: i32): f64 {
  return f64(load<i64>(rec(v) + LAST_DELTA));
}

/**
 * __kvm_wait_lapic_expire for the era: D = expired_tscdeadline (cleared), G = guest TSC,
 * tune the advance (unless `tune` is false: fixed advance or tuning off), then busy-wait
 * while G < D. Returns the host ns spent spinning.
 */
export function waitLapicExpire(v: i32, era: i32, tune: bool, global: bool, hz: u32): f64 {
  const p = rec(v);
  const deadline = load<u64>(p + EXPIRED_TSCDEADLINE);
  store<u64>(p + EXPIRED_TSCDEADLINE, 0);
  const g = guestTscNow(p);
  const delta = i64(g - deadline);
  store<i64>(p + LAST_DELTA, delta);
  const khz = load<u32>(p + TSC_KHZ);
  let advance = global ? globalAdvanceNs : load<u32>(p + ADVANCE_NS);
  // v4.20 busy-waits before it tunes, bounded by the advance it had (3b8a5df6c4dc).
  const advanceAtWait = advance;
  if (tune) {
    if (era == EraCode.V4_20 || era == EraCode.V5_1) {
      const done = global ? globalTunerDone : (load<u32>(p + FLAGS) & FLAG_TUNER_DONE) != 0;
      if (!done) {
        advance = adjustTimerAdvanceLegacy(advance, delta, khz, era == EraCode.V4_20 ? TunerEra.V4_20 : TunerEra.V5_1);
        if (global) globalTunerDone = tunerDone;
        else if (tunerDone) store<u32>(p + FLAGS, load<u32>(p + FLAGS) | FLAG_TUNER_DONE);
      }
    } else if (era != EraCode.V4_0) {
      advance = adjustTimerAdvance(advance, delta, khz);
    }
    if (global) globalAdvanceNs = advance;
    else store<u32>(p + ADVANCE_NS, advance);
  }
  if (g >= deadline) return 0;
  const guestCycles = deadline - g;
  const host = hostTscNow();
  let hostCycles: u64;
  if (era == EraCode.V4_0) {
    // __delay(deadline - guest_tsc): guest cycles as host cycles, unbounded (d0659d946be0).
    hostCycles = busyWaitV40Cycles(guestCycles);
  } else if (era == EraCode.V4_20) {
    // __delay(min(deadline - guest_tsc, nsec_to_cycles(vcpu, lapic_timer_advance_ns))):
    // still guest cycles as host cycles, now bounded by the (global) advance's cycles.
    const bound = nsecToCyclesFor(p, u64(advanceAtWait));
    hostCycles = busyWaitV40Cycles(guestCycles < bound ? guestCycles : bound);
  } else if ((load<u32>(p + FLAGS) & FLAG_SCALED) == 0) {
    const bound = nsecToCyclesFor(p, u64(advance));
    hostCycles = guestCycles < bound ? guestCycles : bound;
  } else {
    hostCycles = ndelayLoops(busyWaitScaledNs(guestCycles, khz, advance), u32(hostKhz), hz);
  }
  return f64(nsWhenHostTscReaches(host + hostCycles) - simNowNs);
}

/** Guest cycles -> ns at the vCPU's virtual_tsc_khz, signed (for latency metrics). */
export function cyclesToNsSigned(v: i32, cycles: f64): f64 {
  const khz = load<u32>(rec(v) + TSC_KHZ);
  const c = i64(cycles);
  return c < 0 ? -f64(cyclesToNs(u64(-c), khz)) : f64(cyclesToNs(u64(c), khz));
}

/** ns -> guest cycles at the vCPU's current virtual_tsc_khz, signed (for latency metrics). */
export function nsToCyclesSigned(v: i32, ns: f64): f64 {
  const p = rec(v);
  const n = i64(ns);
  return n < 0 ? -f64(nsecToCyclesFor(p, u64(-n))) : f64(nsecToCyclesFor(p, u64(n)));
}
