// The unmerged deadline proposals of the seed discussions, over the per-vCPU record:
// lazy TSC-deadline (seed 004) and the PV nanosecond deadline MSR with migration (seed 003).

import { scaleTsc } from "../tsc_scaling";
import { simNowNs, hostTscAt } from "./host_clock";
import { OFFSET, TSCDEADLINE, LAZY_ARMED, LAZY_PENDING, PV_DEADLINE_NS, fracBits, rec, reg, guestTscNow, nsecToCyclesFor, setTscRate } from "./vcpu_layout";

// ---- lazy TSC-deadline (Wang Jianchao's RFC v3, 2023; seed 004, never merged) ----

/**
 * The guest side of a deadline write: pending := register r; returns whether the guest
 * must still trap (WRMSR): when nothing is armed or the new deadline is earlier.
 */
export function lazyGuestWrite(v: i32, r: i32): bool {
  const p = rec(v);
  return lazyGuestWriteValue(p, load<u64>(reg(p, r)));
}

/**
 * lazyGuestWrite of `value` (the register's) to record p, inlined where rearm-storm's lazy
 * copy writes its deadline (guest_rearm_storm.ts writeDeadlineOn).
 */
// @ts-ignore: decorator
@inline
export function lazyGuestWriteValue(p: usize, value: u64): bool {
  store<u64>(p + LAZY_PENDING, value);
  const armed = load<u64>(p + LAZY_ARMED);
  return armed == 0 || value < armed;
}

/** Host: the TSC_DEADLINE write armed tscdeadline; armed := it. */
export function lazyArm(v: i32): void {
  const p = rec(v);
  store<u64>(p + LAZY_ARMED, load<u64>(p + TSCDEADLINE));
}

export function lazyClearArmed(v: i32): void {
  store<u64>(rec(v) + LAZY_ARMED, 0);
}

/**
 * Host, at the armed deadline's expiry: if the guest has moved its deadline later
 * (pending > armed), tscdeadline := armed := pending and return true (re-arm, no
 * injection); else false (inject, and the caller clears armed).
 */
export function lazyRearmIfLater(v: i32): bool {
  const p = rec(v);
  const pending = load<u64>(p + LAZY_PENDING);
  if (pending <= load<u64>(p + LAZY_ARMED)) return false;
  store<u64>(p + TSCDEADLINE, pending);
  store<u64>(p + LAZY_ARMED, pending);
  return true;
}

// ---- PV nanosecond deadline MSR (Radim Krcmar's proposal, seed 003; never merged) ----

/** kvmclock epoch: host ns at which the guests' kvmclock reads 0 (their boot). */
let kvmclockEpochNs: i64 = 0;

export function setKvmclockEpoch(ns: i64): void {
  kvmclockEpochNs = ns;
}

/** The guest's kvmclock now, ns (exact host time since its epoch in this model). */
// @ts-ignore: decorator
@inline
function kvmclockNow(): u64 {
  return u64(simNowNs - kvmclockEpochNs);
}

/**
 * WRMSR of the PV deadline from register r (kvmclock ns): stored as written; KVM converts
 * it to the TSC form internally, tscdeadline = guest TSC + nsec_to_cycles(value - now)
 * (a past value: the guest TSC now, so it expires at once); 0 disarms.
 */
export function pvDeadlineFromReg(v: i32, r: i32): void {
  const p = rec(v);
  const value = load<u64>(reg(p, r));
  store<u64>(p + PV_DEADLINE_NS, value);
  if (value == 0) {
    store<u64>(p + TSCDEADLINE, 0);
    return;
  }
  const now = kvmclockNow();
  const aheadNs = value > now ? value - now : 0;
  store<u64>(p + TSCDEADLINE, guestTscNow(p) + nsecToCyclesFor(p, aheadNs));
}

/** Register r = the PV deadline MSR's value. */
export function pvDeadlineToReg(v: i32, r: i32): void {
  const p = rec(v);
  store<u64>(reg(p, r), load<u64>(p + PV_DEADLINE_NS));
}

/** The PV ns deadline is set: the timer was armed through the PV MSR (a TSC-deadline write and the injection clear it). */
export function pvDeadlineIsSet(v: i32): bool {
  return load<u64>(rec(v) + PV_DEADLINE_NS) != 0;
}

export function pvDeadlineClear(v: i32): void {
  store<u64>(rec(v) + PV_DEADLINE_NS, 0);
}

/** kvmclock now into register r (a guest's read of its kvmclock page). */
export function gKvmclock(v: i32, r: i32): void {
  store<u64>(reg(rec(v), r), kvmclockNow());
}

/**
 * Migration to a host whose TSC runs at newKhz with no TSC scaling for this guest: the
 * guest TSC continues from its current value at the new rate (ratio newKhz/host of the
 * simulated host clock), and virtual_tsc_khz becomes newKhz.
 */
export function vcpuMigrateTsc(v: i32, newRatio: u64, newKhz: u32): void {
  const p = rec(v);
  const guestNow = guestTscNow(p);
  const host = hostTscAt(simNowNs);
  store<u64>(p + OFFSET, guestNow - scaleTsc(host, newRatio, fracBits));
  setTscRate(p, newRatio, newKhz);
}
