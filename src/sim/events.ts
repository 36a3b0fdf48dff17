// Event kinds of the discrete-event engine. An event's payload is (kind << 24) | vCPU
// index, so the queue in wasm memory holds plain integers.

export const enum EventKind {
  /** The guest program continues after an exit round trip (or starts). */
  GuestResume = 1,
  /** An hrtimer callback runs (expiry + hrtimer delay). */
  HrtimerCallback = 2,
  /** A blocked vCPU's thread runs after a wake-up. */
  VcpuWake = 3,
  /** The entry path reaches kvm_wait_lapic_expire, just before VM entry. */
  EntryWait = 4,
  /** The VMX preemption timer fires in guest mode. */
  PreemptionTimer = 6,
  /** A HLT exit reaches kvm_vcpu_block. */
  Block = 7,
  /** A kick (IPI) makes a running vCPU exit (external interrupt). */
  KickExit = 8,
  /** VM entry done (after the busy-wait and the IDT dispatch): the guest runs. */
  EntryDone = 9,
  /** A host stall (scenario host.stalls) deschedules the vCPU. */
  Stall = 10,
  /** The halt-polling window ended without a wake-up: the vCPU schedules out. */
  PollEnd = 11,
  /** The VM is stopped (vms.<i>.pauses): its vCPU threads do not run. */
  Pause = 12,
  /** The VM runs again. */
  Resume = 13,
  /** The VM moves to a host with another TSC rate (vms.<i>.migrations). */
  Migrate = 14,
  /** Host scheduler (src/sim/host-sched.ts): a scheduler tick on a CPU where tasks wait (index: the CPU). */
  SchedTick = 32,
  /** A background task's period begins (index: its task). */
  LoadWake = 33,
  /** A background task has run what it wanted (index: its task). */
  LoadDone = 34,
}

/** Event kinds from here on belong to the host scheduler, not to a vCPU. */
export const SCHED_EVENT_BASE = EventKind.SchedTick;

export const VCPU_MASK = 0xffffff;
export const MAX_VCPUS = VCPU_MASK + 1;

export function payload(kind: EventKind, vcpu: number): number {
  return (kind << 24) | vcpu;
}
