// A guest program's view of the vCPU timer registers: 64-bit values it keeps in numbered
// registers (RDTSC, arithmetic on TSC values), and the IA32_TSC_DEADLINE MSR with the
// expired_tscdeadline latch apic_timer_expired sets for the advance's busy-wait (spec §4.5).
// Plain loads and stores on the per-vCPU record (vcpu_layout.ts); the TypeScript state
// machine and the wasm engine's guests both call them by vCPU index.

import { TSCDEADLINE, EXPIRED_TSCDEADLINE, rec, reg, guestTscNow } from "./vcpu_layout";

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
  tdFromRegAt(rec(v), r);
}

/** tdFromReg of the vCPU whose record p is (rec(v)): for a caller that holds it. */
// @ts-ignore: decorator
@inline
export function tdFromRegAt(p: usize, r: i32): void {
  store<u64>(p + TSCDEADLINE, load<u64>(reg(p, r)));
}

export function tdIsZero(v: i32): bool {
  return tdIsZeroAt(rec(v));
}

/** tdIsZero of the vCPU whose record p is (rec(v)): for a caller that holds it. */
// @ts-ignore: decorator
@inline
export function tdIsZeroAt(p: usize): bool {
  return load<u64>(p + TSCDEADLINE) == 0;
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
