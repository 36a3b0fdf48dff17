// The 21 scenarios from the timer-path mailing-list history as presets (issue #4 §2). Each
// one's expected outcome, the real-world figure it is compared with, and tscsim's figure
// are in docs/scenarios.md; test/scenarios.test.ts asserts the outcomes.
import type { ScenarioFile } from "../schema.js";

type Delays = NonNullable<NonNullable<ScenarioFile["host"]>["delays"]>;
type VmFile = NonNullable<ScenarioFile["vms"]>[number];
type WorkloadFile = NonNullable<VmFile["workload"]>;

/**
 * Host delays calibrated to d0659d946be0's 2014 Core i5 desktop: with advancement off,
 * cyclictest averaged 12 µs (the sum of these means is ~12 µs).
 */
const DESKTOP_2014: Delays = {
  hrtimer: { dist: "lognormal", median: "2.7us", p99: "9us" },
  wakeup: { dist: "lognormal", median: "6.5us", p99: "22us" },
  vmExit: { dist: "fixed", value: "300ns" },
  vmEntry: { dist: "fixed", value: "600ns" },
  irqDispatch: { dist: "fixed", value: "400ns" },
  msrExit: { dist: "fixed", value: "1500ns" },
};

/** A stable host (fixed delays) for the tuning scenarios. */
const STABLE: Delays = {
  hrtimer: { dist: "fixed", value: "1us" },
  wakeup: { dist: "fixed", value: "2us" },
  vmExit: { dist: "fixed", value: "200ns" },
  vmEntry: { dist: "fixed", value: "267ns" },
  irqDispatch: { dist: "fixed", value: "400ns" },
  msrExit: { dist: "fixed", value: "1us" },
};

/** Heavy-tailed delays of a nested (L1) host with an unstable TSC. */
const NESTED: Delays = {
  ...STABLE,
  wakeup: {
    dist: "mixture",
    parts: [
      { weight: 0.7, dist: "lognormal", median: "3us", p99: "10us" },
      { weight: 0.3, dist: "lognormal", median: "2ms", p99: "40ms" },
    ],
  },
};

const CYCLIC_1MS: WorkloadFile = { kind: "cyclictest", interval: "1ms" };
/** 4768 Hz, the Windows guest of fuqiang wang's report: 209,731 bus cycles at ÷1. */
const PERIODIC_4768HZ_BUSY: WorkloadFile = { kind: "periodic", tmict: 209_731, tdcr: "0xb", wait: "busy" };

export const SEED_SCENARIOS: (ScenarioFile & { name: string; description: string })[] = [
  {
    name: "s01-no-advance",
    description: "S1: the 2014 kernel, advancement off: the guest sees the whole host delay (cyclictest avg 12 us)",
    duration: "2s",
    host: { tscKhz: "3GHz", delays: DESKTOP_2014 },
    kvm: { era: "v4.0", timerAdvance: "off" },
    vms: [{ vcpus: 4, workload: CYCLIC_1MS }],
  },
  {
    name: "s02-fixed-advance",
    description: "S2: as S1 with lapic_timer_advance_ns = 3500: the hrtimer fires early, the entry spins the rest (avg 8 us)",
    duration: "2s",
    host: { tscKhz: "3GHz", delays: DESKTOP_2014 },
    kvm: { era: "v4.0", timerAdvance: "3500ns" },
    vms: [{ vcpus: 4, workload: CYCLIC_1MS }],
  },
  {
    name: "s03-large-advance",
    description: "S3: a fixed 50 us advance far above the delay: every expiry spins ~50 us of host CPU, capped at the advance",
    duration: "1s",
    host: { tscKhz: "3GHz", delays: STABLE },
    kvm: { era: "v5.4", timerAdvance: "50us" },
    vms: [{ vcpus: 2, workload: CYCLIC_1MS }],
  },
  {
    name: "s04-v4.20-converge",
    description: "S4: v4.20 auto-tuning on a stable host with the hv timer: tscdeadline_latency falls from ~2600 to ~1200 cycles, then tuning stops",
    duration: "1s",
    // Calibrated: 467 ns before the wait and 400 ns after it give 2600 cycles untuned at 3 GHz.
    host: { tscKhz: "3GHz", delays: { ...STABLE, hrtimer: { dist: "fixed", value: "200ns" } } },
    kvm: { era: "v4.20", hvTimer: true },
    vms: [{ vcpus: 1, workload: { kind: "tscdeadline-latency", delta: 200000, size: 10000 } }],
  },
  {
    name: "s05-v4.20-creep",
    description: "S5: v4.20 with heavy-tailed delays (nested L1): the unbounded advance creeps into milliseconds and the spin with it",
    duration: "4s",
    host: { tscKhz: "3GHz", delays: NESTED },
    kvm: { era: "v4.20", hvTimer: false },
    vms: [{ vcpus: 1, workload: CYCLIC_1MS }],
  },
  {
    name: "s05b-v5.1-disable",
    description: "S5b: the same delays on v5.1: past 5000 ns the advance is disabled (0) and stays off",
    duration: "4s",
    host: { tscKhz: "3GHz", delays: NESTED },
    kvm: { era: "v5.1", hvTimer: false },
    vms: [{ vcpus: 1, workload: CYCLIC_1MS }],
  },
  {
    name: "s05c-mainline-bounded",
    description: "S5c: the same delays on mainline: samples over 10000 cycles are ignored, the advance stays within [0, 5000] ns",
    duration: "4s",
    host: { tscKhz: "3GHz", delays: NESTED },
    kvm: { era: "mainline", hvTimer: false },
    vms: [{ vcpus: 1, workload: CYCLIC_1MS }],
  },
  {
    name: "s06-global-advance",
    description: "S6: two VMs with different TSC ratios share v4.20's one global advance (per-vCPU since v5.1)",
    duration: "1s",
    host: { tscKhz: "3GHz" },
    kvm: { era: "v4.20", hvTimer: false },
    vms: [
      { name: "unscaled", vcpus: 2, workload: CYCLIC_1MS },
      { name: "half-rate", vcpus: 2, tscKhz: "1.5GHz", workload: CYCLIC_1MS },
    ],
  },
  {
    name: "s07-scaled-spin",
    description: "S7: a guest TSC at half the host rate, pre-b6aa57c69cb2 (v4.20): the busy-wait counts guest cycles as host cycles and ends early",
    duration: "1s",
    host: { tscKhz: "3GHz", delays: { ...STABLE, wakeup: { dist: "lognormal", median: "2us", p99: "5us" }, irqDispatch: { dist: "fixed", value: "100ns" } } },
    kvm: { era: "v4.20", hvTimer: false },
    vms: [{ vcpus: 1, tscKhz: "1.5GHz", workload: CYCLIC_1MS }],
  },
  {
    name: "s08-hv-oneshot",
    description: "S8: one-shot on the hv timer with a 3 us advance and no busy-wait (v5.4, before d981dd15498b): interrupts early by up to the advance",
    duration: "200ms",
    host: { tscKhz: "3GHz", delays: STABLE },
    kvm: { era: "v5.4", hvTimer: true, timerAdvance: "3us" },
    vms: [{ vcpus: 1, workload: { kind: "oneshot", tmict: 100000, tdcr: "0xb", wait: "busy" } }],
  },
  {
    name: "s09-short-deadline",
    description: "S9: deadlines 500 ns ahead with a 1 us advance (v5.1+): injected at once, no hrtimer armed in the past",
    duration: "100ms",
    host: { tscKhz: "3GHz", delays: STABLE },
    kvm: { era: "v5.1", hvTimer: false, timerAdvance: "1us" },
    vms: [{ vcpus: 1, workload: { kind: "tscdeadline-latency", delta: 1500, size: 10000 } }],
  },
  {
    name: "s10-periodic-negative-delta",
    description: "S10: 4768 Hz periodic on the hv timer, a 500 us stall once a second (v5.4): the negative delta wraps, -ERANGE, sticky hrtimer",
    duration: "3s",
    // The stall must outlast a period wherever it starts in one: 500 us > 2 x 209.7 us.
    host: { tscKhz: "3GHz", delays: STABLE, stalls: { every: "1s", length: "500us" } },
    kvm: { era: "v5.4", hvTimer: true },
    vms: [{ vcpus: 1, workload: PERIODIC_4768HZ_BUSY }],
  },
  {
    name: "s11-stopped-vm",
    description: "S11: the 4768 Hz guest stopped for 10 s (v5.4): a storm of catch-up hrtimer callbacks on resume",
    duration: "11.2s",
    host: { tscKhz: "3GHz", delays: STABLE },
    kvm: { era: "v5.4", hvTimer: true },
    vms: [{ vcpus: 1, pauses: [{ at: "100ms", length: "10s" }], workload: PERIODIC_4768HZ_BUSY }],
  },
  {
    name: "s12-long-uptime",
    description: "S12: 1 ms periodic on the hrtimer, each interrupt serviced late, pre-2025 (v5.4) vs mainline: the hrtimer expiry and the target",
    duration: "2s",
    host: { tscKhz: "3GHz", delays: { ...STABLE, hrtimer: { dist: "lognormal", median: "3us", p99: "30us" } } },
    kvm: { era: "v5.4", hvTimer: false },
    vms: [{ vcpus: 1, workload: { kind: "periodic", tmict: 1000000, tdcr: "0xb" } }],
  },
  {
    name: "s13-periodic-phase",
    description: "S13: a 10 us periodic timer, D = 100 ns, on the hv timer (advance applied) vs the hrtimer (none): a phase shift only",
    duration: "20ms",
    host: { tscKhz: "3GHz", delays: { ...STABLE, vmExit: { dist: "fixed", value: "50ns" }, vmEntry: { dist: "fixed", value: "50ns" }, hrtimer: { dist: "fixed", value: "100ns" } } },
    kvm: { era: "mainline", hvTimer: true, minTimerPeriodUs: 0 },
    vms: [{ vcpus: 1, workload: { kind: "periodic", tmict: 10000, tdcr: "0xb", wait: "busy" } }],
  },
  {
    name: "s14-oneshot-vs-deadline",
    description: "S14: the same delay for a one-shot and a TSC-deadline guest on the hrtimer: only the deadline gets the advance",
    duration: "1s",
    host: { tscKhz: "3GHz", delays: STABLE },
    kvm: { era: "mainline", hvTimer: false },
    vms: [
      { name: "oneshot", vcpus: 1, workload: { kind: "oneshot", tmict: 1000000, tdcr: "0xb" } },
      { name: "deadline", vcpus: 1, workload: CYCLIC_1MS },
    ],
  },
  {
    name: "s15-lazy-tscdeadline",
    description: "S15: a TCP_RR-like deadline rewritten 4 times before it expires, with lazy TSC-deadline: TSC-deadline MSR exits fall",
    duration: "1s",
    host: { tscKhz: "3GHz", delays: STABLE },
    kvm: { era: "mainline", lazyTscDeadline: true },
    vms: [{ vcpus: 1, workload: { kind: "rearm-storm", interval: "100us", rewrites: 4, spacing: "5us" } }],
  },
  {
    name: "s16-lazy-clear",
    description: "S16: lazy TSC-deadline with deadlines that have expired when armed: armed is cleared, the guest's timer keeps going",
    duration: "100ms",
    host: { tscKhz: "3GHz", delays: STABLE },
    kvm: { era: "mainline", lazyTscDeadline: true },
    vms: [{ vcpus: 1, workload: { kind: "rearm-storm", interval: "200ns", rewrites: 2, spacing: "20us" } }],
  },
  {
    name: "s17-halt-poll-200us",
    description: "S17: cyclictest every 200 us with halt_poll_ns = 200 us: polling catches the wake-ups and burns the host CPU (thread work 11 us, calibrated)",
    duration: "1s",
    host: { tscKhz: "3GHz" },
    kvm: { era: "mainline" },
    // Calibration: the measuring thread works 11 us between its wake-up and its next
    // sleep, fitted so that a 210 us interval polls about half the time (Carli 2022: 50 %).
    vms: [{ vcpus: 1, workload: { kind: "cyclictest", interval: "200us", work: "11us" } }],
  },
  {
    name: "s18-idle-tick",
    description: "S18: an idle guest with a 250 Hz tick under dynamic halt polling: CPU near no-poll (compare always-poll, nohz)",
    duration: "2s",
    host: { tscKhz: "3GHz" },
    kvm: { era: "mainline" },
    vms: [{ vcpus: 1, workload: { kind: "idle-tick", hz: 250 } }],
  },
  {
    name: "s19-no-poll",
    description: "S19: kvm_arch_no_poll: the guest cleared MSR_KVM_POLL_CONTROL bit 0, the host does not halt-poll",
    duration: "1s",
    host: { tscKhz: "3GHz" },
    kvm: { era: "mainline" },
    vms: [{ vcpus: 1, pollControl: false, workload: { kind: "cyclictest", interval: "190us" } }],
  },
  {
    name: "s20-hv-halt",
    description: "S20: TSC-deadline on the hv timer, the guest halts right after arming: hv->sw on every block",
    duration: "1s",
    host: { tscKhz: "3GHz", delays: STABLE },
    kvm: { era: "mainline", hvTimer: true },
    vms: [{ vcpus: 1, workload: CYCLIC_1MS }],
  },
  {
    name: "s21-pv-deadline",
    description: "S21: a guest migrated to a host with a 2x faster TSC: deadlines through the PV ns MSR stay right, TSC ones from the stale calibration do not",
    duration: "1s",
    host: { tscKhz: "3GHz", delays: STABLE },
    kvm: { era: "mainline", pvDeadline: true, hvTimer: false },
    vms: [
      { name: "tsc-deadline", vcpus: 1, migrations: [{ at: "500ms", tscKhz: "6GHz" }], workload: { kind: "cyclictest", interval: "1ms" } },
      { name: "pv-deadline", vcpus: 1, migrations: [{ at: "500ms", tscKhz: "6GHz" }], workload: { kind: "cyclictest", interval: "1ms", deadlineMsr: "pv" } },
    ],
  },
];
