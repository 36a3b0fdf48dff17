// The event trace both engines feed (`tscsim run --trace`): one record per traced host
// event, appended at the simulated now, into a static buffer the host drains and formats
// as `trace-cmd report` text (src/trace/). Off, a hook costs one load and a branch.

import { simNowNs } from "./host_clock";

/** What a record says happened; src/trace/format.ts prints each as its kernel tracepoint. */
export enum TraceKind {
  /** kvm_exit (arg: TraceExit); stamped when the vCPU leaves guest mode */
  Exit = 1,
  /** kvm_entry; stamped where vcpu_enter_guest traces it, before kvm_wait_lapic_expire */
  Entry = 2,
  /** kvm_wait_lapic_expire (arg: guest TSC − deadline, cycles) */
  WaitLapicExpire = 3,
  /** hrtimer_start of the LAPIC timer (arg: programmed expiry, host ns) */
  HrtimerStart = 4,
  /** hrtimer_cancel of a queued LAPIC hrtimer */
  HrtimerCancel = 5,
  /** hrtimer_expire_entry + apic_timer_fn + hrtimer_expire_exit (arg: 1 when the vCPU thread is the current task) */
  HrtimerExpire = 6,
  /** sched_waking of the vCPU thread */
  Waking = 7,
  /** sched_switch: the vCPU thread schedules out (halt) */
  SwitchOut = 8,
  /** sched_switch: the vCPU thread runs again + kvm_vcpu_wakeup (arg: halt ns; negative: woken while polling) */
  SwitchIn = 9,
  /** kvm_hv_timer_state (arg: 1 in use, 0 not) */
  HvTimerState = 10,
}

/** kvm_exit reasons the simulation produces (VMX basic exit reasons). */
export enum TraceExit {
  ExternalInterrupt = 1,
  Cpuid = 10,
  Hlt = 12,
  MsrWrite = 32,
  ApicWrite = 56,
  PreemptionTimer = 52,
}

/** Records the buffer holds; the engines stop for a drain when fewer than TRACE_SLACK are free. */
export const TRACE_CAPACITY: i32 = 8192;
const TRACE_SLACK: i32 = 64;
const RECORD_BYTES: usize = 24;
const tracePtr: usize = memory.data(i32(TRACE_CAPACITY) * i32(RECORD_BYTES), 8);

let traceOn: bool = false;
let traceCount: i32 = 0;

/** Turns recording on or off and empties the buffer. */
export function traceEnable(on: bool): void {
  traceOn = on;
  traceCount = 0;
}

/** Whether records are being kept. */
export function tracing(): bool {
  return traceOn;
}

/** One record: [now ns, kind · 2^24 + vCPU, arg] as f64. */
// @ts-ignore: decorator
@inline
export function trace(kind: TraceKind, v: i32, arg: f64): void {
  if (!traceOn) return;
  const p = tracePtr + usize(traceCount) * RECORD_BYTES;
  store<f64>(p, f64(simNowNs));
  store<f64>(p, f64(i32(kind) * 0x1000000 + v), 8);
  store<f64>(p, arg, 16);
  traceCount++;
}

// @ts-ignore: decorator
@inline
export function traceFull(): bool {
  return traceCount > TRACE_CAPACITY - TRACE_SLACK;
}

/** For the TypeScript engine: one record at the simulated now; true when the buffer needs draining. */
export function traceEvent(kind: i32, v: i32, arg: f64): bool {
  trace(<TraceKind>kind, v, arg);
  return traceFull();
}

export function traceLogPtr(): usize {
  return tracePtr;
}
export function traceLogCount(): i32 {
  return traceCount;
}
export function traceLogClear(): void {
  traceCount = 0;
}
