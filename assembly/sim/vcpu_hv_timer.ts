// The hv timer: the VMX preemption timer KVM arms in place of the hrtimer (spec §6) —
// vmx_set_hv_timer's deadline in host TSC (../hv_timer.ts), its cancel, and when the timer
// loaded at VM entry fires (vmx_update_hv_timer, with the era's order of the load and the
// advance's busy-wait). Both engines call these over the per-vCPU record (vcpu_layout.ts).

import { Status } from "../status";
import { vmxSetHvTimerCachedInline, hvDeadlineHostTsc, hvDeltaOverflow, hvHostDeltaInline, guestRawDeltaCycles, storeHvTimer } from "../hv_timer";
import { simNowNs, hostTscAt, hostTscNow, nsWhenHostTscReachesInline } from "./host_clock";
import { queuePush } from "./event_queue";
import { RATIO, TSCDEADLINE, HV_DEADLINE_TSC, ADVANCE_NS, MULT, fracBits, rec, nsecToCyclesFor, guestTscKept, keepHvDelta, keptHvAdvanceNs, keptHvDelta, keptHvRatio, keptHvRawCycles, keptHvScale } from "./vcpu_layout";
import { globalAdvanceNs } from "./vcpu_timer";

// ---- hv timer (VMX preemption timer, spec §6) ----

/** vmx_set_hv_timer for tscdeadline at the current time: Status.Ok or ERange; sets hvExpired. */
export function hvArm(v: i32, rate: u32, maxValue: u64, global: bool): i32 {
  return hvArmInline(v, rate, maxValue, global, false, 0, 0);
}

/**
 * hvArm, inlined where the engine arms the preemption timer (engine_lapic.ts armHvTimerOn).
 * `memo` (a constant at each call): reuse the delta in host cycles vcpu_layout.ts kept
 * when its inputs repeat (a rearm storm's writes), instead of the advance's conversion and
 * the divide by the L1 ratio; the same result, which a caller whose inputs never repeat
 * (cyclictest's deadlines) does without. With `memo` the caller also gives the guest TSC
 * it read in this same instant (`guestTsc`, guestTscKept's value now) and the vCPU's record
 * (`pMemo`, rec(v)), which it holds: not computed again here.
 */
// @ts-ignore: decorator
@inline
export function hvArmInline(v: i32, rate: u32, maxValue: u64, global: bool, memo: bool, guestTsc: u64, pMemo: usize): i32 {
  const p = memo ? pMemo : rec(v);
  const advance = global ? globalAdvanceNs : load<u32>(p + ADVANCE_NS);
  const host = hostTscNow();
  if (!memo) {
    const advanceCycles = nsecToCyclesFor(p, u64(advance));
    const st = vmxSetHvTimerCachedInline(load<u64>(p + TSCDEADLINE), guestTscKept(p, host), host, advanceCycles, load<u64>(p + RATIO), fracBits, rate, maxValue);
    if (st == Status.Ok) store<u64>(p + HV_DEADLINE_TSC, hvDeadlineHostTsc);
    return st;
  }
  const raw = guestRawDeltaCycles(load<u64>(p + TSCDEADLINE), guestTsc);
  const ratio = load<u64>(p + RATIO);
  // MULT (u32) and SHIFT (i32), adjacent: one compare.
  const scale = load<u64>(p + MULT);
  let delta: u64;
  if (raw == keptHvRawCycles && ratio == keptHvRatio && advance == keptHvAdvanceNs && scale == keptHvScale) {
    delta = keptHvDelta;
  } else {
    delta = hvHostDeltaInline(raw, nsecToCyclesFor(p, u64(advance)), ratio, fracBits);
    if (hvDeltaOverflow) return Status.ERange;
    keepHvDelta(raw, advance, scale, ratio, delta);
  }
  const st = storeHvTimer(delta, host, rate, maxValue);
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
// @ts-ignore: decorator
@inline
export function preemptionAtNs(v: i32, rate: u32, entryInNs: f64, loadedBeforeWait: bool): i64 {
  return nsWhenHostTscReachesInline(preemptionFireTsc(v, rate, entryInNs, loadedBeforeWait));
}

/**
 * preemptionAtNs before its conversion to ns: the host TSC the timer fires at. The wasm
 * engine keeps a preemption timer it holds back in this form (engine_host.ts reenter):
 * nsWhenHostTscReaches is monotone, so "fires by t" is "hostTscAt(t) >= this", and the ns
 * are needed only if the event reaches the queue.
 */
// @ts-ignore: decorator
@inline
export function preemptionFireTsc(v: i32, rate: u32, entryInNs: f64, loadedBeforeWait: bool): u64 {
  const deadline = load<u64>(rec(v) + HV_DEADLINE_TSC);
  // An entry now (no busy-wait before it) reads the host TSC of this instant, kept once computed.
  const entry = entryInNs == 0 ? hostTscNow() : hostTscAt(simNowNs + i64(entryInNs));
  const loadedAt = loadedBeforeWait ? hostTscNow() : entry;
  const value: u64 = deadline > loadedAt ? u64(u32((deadline - loadedAt) >> u64(rate))) : 0;
  return entry + (value << u64(rate));
}
