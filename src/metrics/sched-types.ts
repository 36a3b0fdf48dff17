// The host scheduler's part of a run's result (RunResult.hostSched; present only when the
// scenario uses one: host.cpus, host.load, host.outer or pins). docs/results-format.md.

/** Run-queue waits: how long a runnable thread waited for its CPU (schedstat's run_delay, per episode). */
export interface RunQueueWait {
  /** Episodes: each time the thread was picked after being runnable (a wake-up, or a return after preemption). */
  count: number;
  sum: number;
  /** null when not kept per vCPU (more than 64 vCPUs) or no episode. */
  p99: number | null;
  max: number;
}

/** One host CPU's time, split by what ran on it (ns, adding up to the simulated time). */
export interface SchedCpuResult {
  cpu: number;
  /** vCPU threads in guest mode. */
  guestNs: number;
  /** kvm_wait_lapic_expire's busy-wait. */
  busyWaitNs: number;
  /** kvm_vcpu_halt's poll loop. */
  haltPollNs: number;
  /** vCPU threads in the host: exits, wake-ups, the entry path. */
  hostNs: number;
  /** Background tasks (host.load). */
  loadNs: number;
  idleNs: number;
  /** Nested host: work waiting while the outer level runs something else. */
  stealNs: number;
  /** How long the background tasks on this CPU waited in its run queue, in all (what the vCPUs cost them). */
  loadWaitNs: number;
}

/** One outer CPU's time (host.outer). */
export interface SchedOuterCpuResult {
  cpu: number;
  /** Running the inner host's CPUs. */
  innerNs: number;
  /** Other tenants (host.outer.load). */
  loadNs: number;
  idleNs: number;
  /** How long the other tenants waited in this CPU's run queue, in all (what the inner host costs them). */
  loadWaitNs: number;
}

export interface SchedVcpuResult {
  vm: number;
  vcpu: number;
  /** Its host CPU. */
  cpu: number;
  runQueueWaitNs: RunQueueWait;
  /**
   * Time the vCPU was runnable but not running: its run-queue waits (what KVM reports to
   * the guest as steal time, from the thread's run_delay) plus, on a nested host, the
   * time its CPU was taken by the outer level while the vCPU ran on it.
   */
  stealNs: number;
  /** Halts that did not poll because of steal (kvm_arch_no_poll, kvm.haltPoll.maxStealPercent). */
  noPollForSteal: number;
}

export interface HostSchedResult {
  /** The host CPUs' times added up (what `tscsim compare` subtracts). */
  cpuTotals: Omit<SchedCpuResult, "cpu">;
  /** The outer CPUs' times added up (all 0 without host.outer). */
  outerTotals: Omit<SchedOuterCpuResult, "cpu">;
  cpus: SchedCpuResult[];
  outerCpus: SchedOuterCpuResult[];
  /** Every vCPU's waits together. */
  runQueueWaitNs: { count: number; sum: number; p50: number | null; p99: number | null; max: number };
  stealNs: number;
  vcpus: SchedVcpuResult[];
}
