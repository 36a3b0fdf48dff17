// The per-vCPU record in linear memory: its layout (bytes) and the accessors every
// kernel path in sim/ shares. A test pins the strides through vcpuStride().

import { pvclockScaleDelta } from "../math64";
import { mulU64U64Shr } from "../math64";
import { readL1Tsc } from "../tsc_scaling";
import { hostTscNow } from "./host_clock";
import { nsToCyclesMult, timeScaleShift } from "../time_scale";

export const RATIO = 0; // u64 L1 TSC scaling ratio
export const OFFSET = 8; // u64 L1 TSC offset
export const TSCDEADLINE = 16; // u64 tscdeadline (guest TSC form of the deadline, all modes)
export const EXPIRED_TSCDEADLINE = 24; // u64
export const TARGET_NS = 32; // i64 target_expiration
export const PERIOD_NS = 40; // i64 period
export const HV_DEADLINE_TSC = 48; // u64 host TSC of the armed preemption timer
export const SW_EXPIRY_NS = 56; // i64 hrtimer expiry
export const TSC_KHZ = 64; // u32 virtual_tsc_khz
export const MULT = 68; // u32 virtual_tsc_mult
export const SHIFT = 72; // i32 virtual_tsc_shift
export const ADVANCE_NS = 76; // u32 timer_advance_ns
export const FLAGS = 80; // u32: bit 0 scaled, bit 1 tuner done
export const LAST_DELTA = 88; // i64 last G - D seen by the tuner
export const REGS = 96; // 8 x u64 guest registers (the wasm cyclictest engine's layout keeps the first ENGINE_REGS)
export const LAZY_ARMED = 160; // u64 lazy TSC-deadline shared page: the deadline the host armed
export const LAZY_PENDING = 168; // u64 lazy TSC-deadline shared page: the guest's latest deadline
export const PV_DEADLINE_NS = 176; // u64 the PV deadline MSR as written (kvmclock ns), 0 when not armed through it
/** The record for guest programs on the TypeScript engine: all registers and the proposals' fields. */
export const FULL_STRIDE: usize = 184;
/**
 * The record on the wasm cyclictest engine, which uses two registers and none of the
 * proposals (wasmEngineExclusion): the fields up to REGS and registers 0 and 1.
 */
export const ENGINE_REGS: i32 = 2;
export const ENGINE_STRIDE: usize = usize(REGS) + (usize(ENGINE_REGS) << 3);

export const FLAG_SCALED: u32 = 1;
export const FLAG_TUNER_DONE: u32 = 2;

export let statePtr: usize = 0;
export let fracBits: u32 = 48;
/** Bytes per record: FULL_STRIDE or ENGINE_STRIDE (vcpuStateInit). */
export let stride: usize = FULL_STRIDE;


/** Points the accessors at a new record array of `recordStride` bytes a vCPU (vcpuStateInit). */
export function setVcpuState(ptr: usize, vendorFracBits: u32, recordStride: usize): void {
  statePtr = ptr;
  fracBits = vendorFracBits;
  keptRatio = 0;
  keptHvRatio = 0;
  stride = recordStride;
}

// @ts-ignore: decorator
@inline
export function rec(v: i32): usize {
  return statePtr + usize(v) * stride;
}

/** kvm_read_l1_tsc(rdtsc()) at the current simulated time. */
// @ts-ignore: decorator
@inline
export function guestTscNow(p: usize): u64 {
  return readL1Tsc(hostTscNow(), load<u64>(p + RATIO), load<u64>(p + OFFSET), fracBits);
}

// The last kvm_scale_tsc product of a scaled vCPU's guest RDTSC, for the host TSC and ratio
// it was computed for: the guest reads its TSC and then writes a deadline, whose
// vmx_set_hv_timer reads the guest TSC again in the same instant (kvm_read_l1_tsc), and the
// 64x64->128 multiply is the costly part of both. keptRatio 0 (never a valid ratio):
// nothing kept; setVcpuState clears it, as fracBits may change.
let keptHostTsc: u64 = 0;
let keptRatio: u64 = 0;
let keptScaledTsc: u64 = 0;

/**
 * guestTscNow for a guest program's RDTSC (guest_*.ts): the same value, its product kept
 * for the deadline write that follows (hvArmInline's guestTscKept).
 */
// @ts-ignore: decorator
@inline
export function guestTscNowKept(p: usize): u64 {
  return guestTscKept(p, hostTscNow());
}

/**
 * kvm_read_l1_tsc (tsc_scaling.ts readL1Tsc) of vCPU record p at host TSC `host`: the same
 * value, its kvm_scale_tsc product reused while host and ratio are those it was computed
 * for (a pure function of them and fracBits), else computed and kept.
 */
// @ts-ignore: decorator
@inline
export function guestTscKept(p: usize, host: u64): u64 {
  const ratio = load<u64>(p + RATIO);
  // kvm_scale_tsc: the default ratio bypasses the multiply.
  if (ratio == u64(1) << u64(fracBits)) return load<u64>(p + OFFSET) + host;
  if (host != keptHostTsc || ratio != keptRatio) {
    keptScaledTsc = mulU64U64Shr(host, ratio, fracBits);
    keptHostTsc = host;
    keptRatio = ratio;
  }
  return load<u64>(p + OFFSET) + keptScaledTsc;
}

// The last preemption-timer delta in host cycles (hv_timer.ts hvHostDeltaInline) and what
// it is a pure function of besides fracBits: the guest delta max(deadline, g) - g, the
// advance in ns, the vCPU's nsec_to_cycles mult and shift (one u64 over MULT and SHIFT) and
// its L1 ratio. A rearm storm writes each deadline an interval ahead of the guest TSC it
// just read, so every write repeats them (vcpu_hv_timer.ts hvArmInline's `memo`).
// keptHvRatio 0 (never a valid ratio): nothing kept; setVcpuState clears it.
export let keptHvRawCycles: u64 = 0;
export let keptHvAdvanceNs: u32 = 0;
export let keptHvScale: u64 = 0;
export let keptHvRatio: u64 = 0;
export let keptHvDelta: u64 = 0;

/** Keeps hvHostDeltaInline's result for its inputs (vcpu_hv_timer.ts hvArmInline). */
// @ts-ignore: decorator
@inline
export function keepHvDelta(rawCycles: u64, advanceNs: u32, scale: u64, ratio: u64, delta: u64): void {
  keptHvRawCycles = rawCycles;
  keptHvAdvanceNs = advanceNs;
  keptHvScale = scale;
  keptHvRatio = ratio;
  keptHvDelta = delta;
}

// @ts-ignore: decorator
@inline
export function nsecToCyclesFor(p: usize, ns: u64): u64 {
  return pvclockScaleDelta(ns, load<u32>(p + MULT), load<i32>(p + SHIFT));
}

// @ts-ignore: decorator
@inline
export function reg(p: usize, r: i32): usize {
  assert(stride == FULL_STRIDE || (r & 7) < ENGINE_REGS, "register outside the engine layout");
  return p + REGS + (usize(r & 7) << 3);
}

/**
 * The vCPU's TSC rate: the L1 ratio, virtual_tsc_khz with its nsec_to_cycles mult/shift,
 * and the "scaled" flag (ratio != 1.0) — kvm_set_tsc_khz's part of creation and migration.
 */
// @ts-ignore: decorator
@inline
export function setTscRate(p: usize, ratio: u64, tscKhz: u32): void {
  store<u64>(p + RATIO, ratio);
  store<u32>(p + TSC_KHZ, tscKhz);
  store<u32>(p + MULT, nsToCyclesMult(tscKhz));
  store<i32>(p + SHIFT, timeScaleShift);
  const flags = load<u32>(p + FLAGS) & ~FLAG_SCALED;
  store<u32>(p + FLAGS, ratio != u64(1) << u64(fracBits) ? flags | FLAG_SCALED : flags);
}
