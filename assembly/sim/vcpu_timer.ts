// The kernel timer paths over the per-vCPU 64-bit state in linear memory
// (vcpu_layout.ts; spec §2, §4, §5, §6). The TypeScript state machine drives these by vCPU index
// with small numbers, so no per-event BigInt crosses the boundary (architecture.md).
// This file: the vCPU records, the guest TSC (kvm_set_tsc_khz's scaling, cycles <-> ns) and
// the timer advance (timer_advance_ns, __kvm_wait_lapic_expire's tuning and busy-wait, spec
// §5.4). Beside it, over the same records: the guest's registers and the TSC-deadline MSR
// (vcpu_regs.ts), the software timer (vcpu_sw_timer.ts), the hv timer (vcpu_hv_timer.ts).

import { cyclesToNs } from "../time_scale";
import { adjustTimerAdvance, adjustTimerAdvanceLegacy, tunerDone, TunerEra, ndelayLoops, busyWaitScaledNs, busyWaitV40Cycles } from "../timer_advance";
import { simNowNs, hostTscNow, nsWhenHostTscReachesInline, hostKhz } from "./host_clock";
import { OFFSET, EXPIRED_TSCDEADLINE, HV_DEADLINE_TSC, TSC_KHZ, ADVANCE_NS, FLAGS, LAST_DELTA, FULL_STRIDE, ENGINE_STRIDE, stride, FLAG_SCALED, FLAG_TUNER_DONE, statePtr, fracBits, setVcpuState, rec, guestTscNow, nsecToCyclesFor, setTscRate } from "./vcpu_layout";

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
export let globalAdvanceNs: u32 = 0;
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
  return waitLapicExpireInline(v, era, tune, global, hz);
}

/** waitLapicExpire, inlined into the engine's busy-wait gate (engine_host.ts waitLapicExpireGateOn). */
// @ts-ignore: decorator
@inline
export function waitLapicExpireInline(v: i32, era: i32, tune: bool, global: bool, hz: u32): f64 {
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
  return f64(nsWhenHostTscReachesInline(host + hostCycles) - simNowNs);
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
