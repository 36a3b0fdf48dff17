// The validated, normalised scenario: what the simulator consumes. Scenario files use
// units ("200us", "2.1GHz"); after validation every duration is a whole number of ns
// and every frequency a whole number of kHz (architecture.md, "Units and names").

/** A host-side latency distribution, in ns (issue #3 §3). */
export type DelayDist =
  | { dist: "fixed"; valueNs: number }
  | { dist: "uniform"; minNs: number; maxNs: number }
  | { dist: "normal"; meanNs: number; sdNs: number }
  | { dist: "lognormal"; medianNs: number; p99Ns: number }
  | { dist: "empirical"; samplesNs: number[] }
  | { dist: "mixture"; parts: { weight: number; part: DelayDist }[] };

/** Named host delays (issue #3 §3). */
export interface HostDelays {
  /** hrtimer expiry -> its callback runs. */
  hrtimer: DelayDist;
  /** kick of a blocked vCPU -> it runs. */
  wakeup: DelayDist;
  /** guest exit -> host handler runs. */
  vmExit: DelayDist;
  /** host decides to enter -> guest runs. */
  vmEntry: DelayDist;
  /** VM entry with an injected interrupt -> guest handler reads its TSC. */
  irqDispatch: DelayDist;
  /** round trip of a WRMSR exit (exit, handle, re-enter). */
  msrExit: DelayDist;
}

export type Era = "v4.0" | "v4.20" | "v5.1" | "v5.4" | "mainline";

/**
 * What the periodic re-arm does with a target already in the past (seed 000, spec §4.5):
 * "wrap" feeds the negative delta to nsec_to_cycles as a u64 (pre-2025), "skip-negative"
 * keeps tscdeadline at the L1 TSC (the unmerged v2 patch), "clamp" moves the target to now
 * (mainline, 18ab3fc8e880).
 */
export type PeriodicNegativeDelta = "wrap" | "skip-negative" | "clamp";

/** kvm.timerAdvance: adaptive tuning from 1000 ns, off, or a fixed value in ns. */
export type TimerAdvance = { kind: "adaptive" } | { kind: "off" } | { kind: "fixed"; ns: number };

export type Workload =
  | {
      /** kvm-unit-tests x86/tscdeadline_latency.c (spec §8.1). */
      kind: "tscdeadline-latency";
      deltaCycles: number;
      size: number;
      breakmaxCycles: number;
      printLatencies: boolean;
    }
  | {
      /** cyclictest: TSC-deadline arming every interval, then HLT. */
      kind: "cyclictest";
      intervalNs: number;
      /** 0 = until the scenario's duration. */
      loops: number;
      printSummary: boolean;
      /**
       * Which MSR arms the deadline: IA32_TSC_DEADLINE computed with the guest's boot
       * calibration ("tsc"), or the PV nanosecond deadline MSR from kvmclock ("pv",
       * needs kvm.pvDeadline).
       */
      deadlineMsr: "tsc" | "pv";
      /**
       * Guest time, in guest mode, between the handler and re-arming: the measuring
       * thread's own work after its wake-up (0 = re-arm straight from the handler).
       */
      workNs: number;
    }
  | {
      /** An idle guest: a periodic tick at `hz` (TSC-deadline, re-armed each tick) or nohz (no timer, HLT for good). */
      kind: "idle-tick";
      hz: number;
      nohz: boolean;
    }
  | {
      /** LVTT periodic mode through TMICT/TDCR. */
      kind: "periodic";
      tmict: number;
      tdcr: number;
      /** How the guest waits: HLT (the timer moves to the hrtimer while it blocks) or busy in guest mode. */
      wait: "hlt" | "busy";
    }
  | {
      /**
       * A TCP_RR-like pattern (seed 004): arm a TSC deadline `intervalNs` ahead, then
       * rewrite it `rewrites` times, each `spacingNs` later and pushed further out, before
       * it expires; HLT until the interrupt; repeat.
       */
      kind: "rearm-storm";
      intervalNs: number;
      rewrites: number;
      spacingNs: number;
    }
  | {
      /** LVTT one-shot mode, re-armed from the handler after `gapNs`. */
      kind: "oneshot";
      tmict: number;
      tdcr: number;
      gapNs: number;
      wait: "hlt" | "busy";
    };

/** Halt polling (virt/kvm/kvm_main.c module parameters, seed-history §6). */
export interface HaltPollConfig {
  /** halt_poll_ns (x86 default 200000); 0 disables polling. */
  maxNs: number;
  /** halt_poll_ns_grow (default 2; 0 disables growth). */
  grow: number;
  /** halt_poll_ns_grow_start (default 10000). */
  growStartNs: number;
  /** halt_poll_ns_shrink (default 0: reset to 0). */
  shrink: number;
  /** Dynamic grow/shrink (aca6ff29c406, v4.3); false: poll the full window on every halt, as before it. */
  dynamic: boolean;
  /**
   * s390's kvm_arch_no_poll: no polling while the vCPU's steal time (here: the share of
   * time host.stalls take) is at least this percentage (halt_poll_max_steal, default 10).
   * null: the x86 rule, which ignores steal time.
   */
  maxStealPercent: number | null;
}

/** One workload kind's parameters (without its `kind`). */
export type WorkloadParams<K extends Workload["kind"]> = Omit<Extract<Workload, { kind: K }>, "kind">;

export interface VmConfig {
  name: string;
  vcpus: number;
  /** KVM_SET_TSC_KHZ for the VM's vCPUs. */
  tscKhz: number;
  /** Guest CPUID has TSC_DEADLINE_TIMER. */
  tscDeadline: boolean;
  /**
   * MSR_KVM_POLL_CONTROL bit 0 (default 1: the host may halt-poll). The guest's
   * cpuidle-haltpoll driver clears it (x86 kvm_arch_no_poll).
   */
  pollControl: boolean;
  /**
   * Times the VM is stopped (a stopped QEMU, live-migration downtime): its vCPU threads
   * do not run, while the host's clock and hrtimers go on. Sorted, not overlapping.
   */
  pauses: { atNs: number; lengthNs: number }[];
  /**
   * Live migrations to a host whose TSC runs at `tscKhz`, without TSC scaling for this
   * guest: the guest TSC continues at that rate and its boot calibration goes stale.
   */
  migrations: { atNs: number; tscKhz: number }[];
  workload: Workload;
  /** Host CPU of each vCPU (host.cpus), or "spread" (balanced). */
  pin?: number[] | "spread";
}

/** host.sched: CFS's tunables (sysctl_sched_*) and the poll loop's reaction to a runnable neighbour. */
export interface SchedParams {
  latencyNs: number;
  minGranularityNs: number;
  wakeupGranularityNs: number;
  /** From a task becoming runnable on a polling CPU to the poll loop ending (single_task_running() false). */
  pollYieldNs: number;
}

/** host.load: one background task per listed CPU, waking every periodNs and running a draw of `run`. */
export interface HostLoad {
  cpus: number[] | "all";
  periodNs: number;
  run: DelayDist;
}

/** host.outer: the host's CPUs are vCPUs of an outer hypervisor. */
export interface OuterHost {
  cpus: number;
  /** Outer CPU of each inner host CPU, or "spread". */
  pin: number[] | "spread";
  load: HostLoad[];
}

export interface HostStalls {
  everyNs: number;
  lengthNs: number;
}

export interface ScenarioConfig {
  name: string;
  description: string;
  seed: number;
  durationNs: number;
  host: {
    vendor: "vmx" | "svm";
    tscKhz: number;
    /** IA32_VMX_MISC[4:0]: the preemption timer ticks every 2^rate host TSC cycles. */
    preemptionTimerRate: number;
    /** Kernel HZ (ndelay's loops-per-jiffy arithmetic). */
    hz: number;
    delays: HostDelays;
    stalls: HostStalls | null;
    /** Host CPUs running the vCPU threads; null: one per vCPU, no scheduler (unless load, outer or pins ask for one). */
    cpus?: number | null;
    /** Validated scenarios always carry it (the defaults); optional for configs built in code. */
    sched?: SchedParams;
    load?: HostLoad[];
    outer?: OuterHost | null;
  };
  kvm: {
    era: Era;
    timerAdvance: TimerAdvance;
    /** Use the VMX preemption timer when possible (VMX only). */
    hvTimer: boolean;
    /** APICv: the injected vector is checked in IRR rather than ISR (spec §5.4). */
    apicv: boolean;
    minTimerPeriodUs: number;
    tscTolerancePpm: number;
    apicBusCycleNs: number;
    /** null: the era's behaviour (v4.0 advances the deadline independently, before d8f2f498d9ed). */
    periodicNegativeDelta: PeriodicNegativeDelta | null;
    /** fuqiang wang's declined proposal: the advance and busy-wait for sw one-shot timers too. */
    advanceOneshot: boolean;
    haltPoll: HaltPollConfig;
    /** Lazy TSC-deadline (RFC v3, 2023, not merged): a shared {armed, pending} page. */
    lazyTscDeadline: boolean;
    /** The PV nanosecond deadline MSR (Radim Krcmar, 2016, not merged). */
    pvDeadline: boolean;
  };
  vms: VmConfig[];
}
