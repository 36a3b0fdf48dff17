// The wasm engine's codes and layouts, shared by every engine file: event kinds, delay
// kinds, run states, cyclictest's phases, guest exits, flag bits, the per-vCPU record's
// byte offsets, the per-VM cells and the workload codes. Constants only (a leaf: it
// imports nothing); engine_record.ts re-exports them with the record's accessors and the
// run's configuration. They mirror the TypeScript engine's (src/sim/events.ts,
// host-delays.ts, vcpu.ts, guest.ts) and src/sim/wasm-engine.ts's cell writes.

// Event kinds: src/sim/events.ts.
export const EV_GUEST_RESUME: u32 = 1;
export const EV_HRTIMER: u32 = 2;
export const EV_WAKE: u32 = 3;
export const EV_ENTRY_WAIT: u32 = 4;
export const EV_PREEMPTION: u32 = 6;
export const EV_BLOCK: u32 = 7;
export const EV_KICK_EXIT: u32 = 8;
export const EV_ENTRY_DONE: u32 = 9;
export const EV_STALL: u32 = 10;
export const EV_POLL_END: u32 = 11;
export const VCPU_MASK: i32 = 0xffffff;

// Delay kinds: src/sim/host-delays.ts.
export const D_HRTIMER = 0;
export const D_WAKEUP = 1;
export const D_VM_EXIT = 2;
export const D_VM_ENTRY = 3;
export const D_IRQ_DISPATCH = 4;
export const D_MSR_EXIT = 5;
export const D_CPU_IDLE_EXIT = 6;

// Run states (src/sim/vcpu.ts RunState).
export const S_GUEST: u8 = 0;
export const S_EXIT: u8 = 1;
export const S_POLLING: u8 = 2;
export const S_BLOCKED: u8 = 3;
export const S_WAKING: u8 = 4;
export const S_ENTERING: u8 = 5;
export const S_DONE: u8 = 6;

// cyclictest phases (src/sim/workloads/cyclictest.ts).
export const PH_SET_MODE: u8 = 0;
export const PH_START: u8 = 1;
export const PH_ARM: u8 = 2;
export const PH_HALT: u8 = 3;
export const PH_WORK: u8 = 4;

// Guest exits a step ends with (src/sim/guest.ts Exit).
export const X_NONE = 0;
export const X_MSR_WRITE = 1;
export const X_APIC_WRITE = 2;
export const X_HALT = 3;
export const X_DONE = 4;
export const X_IRET = 5;
export const X_COMPUTE = 6;
export const X_IDLE_POLL = 8;
/** An APIC-register write whose kvm_exit the step traced itself, before the LAPIC work it traces (TMICT arms a timer). */
export const X_APIC_WRITE_TRACED = 9;

export const R_NEXT = 0;
export const R_NOW = 1;

// Flag bits.
export const F_IN_HANDLER: u32 = 1;
export const F_HANDLER_DONE: u32 = 2;
export const F_HALTED: u32 = 4;
export const F_POLLING: u32 = 8;
export const F_HV_BEFORE_BLOCK: u32 = 16;
export const F_PENDING: u32 = 32;
export const F_HV_IN_USE: u32 = 64;
export const F_TO_DELIVER: u32 = 128;
export const F_IN_SERVICE: u32 = 256;
/**
 * The hrtimer (HRTIMER_AT_NS, its seq reserved in HRTIMER_SEQ) is not yet in the queue:
 * a periodic restart chaining holds back (engine_lapic_count.ts countHrtimerRestart).
 */
export const F_HRTIMER_HELD: u32 = 512;
/** The thread's next event is in NEXT_AT_NS / NEXT_KIND, not yet in the queue. */
export const F_DEFERRED: u32 = 1024;
/**
 * The preemption-timer event is not yet in the queue (chaining only); HV_AT_NS then holds
 * the host TSC it fires at, not its ns (engine_host.ts reenter).
 */
export const F_HV_DEFERRED: u32 = 2048;
/** The guest waits for an interrupt in guest mode: its idle loop polls (Vcpu GuestWait.Poll). */
export const F_WAIT_POLL: u32 = 4096;
/** The guest waits in guest mode with its CPU idle in HLT/MWAIT (Vcpu GuestWait.CpuIdle). */
export const F_WAIT_IDLE: u32 = 8192;
/** Kicked while entering, after kvm_vcpu_exit_request's check: exits right after entry (Vcpu.kickedAtEntry). */
export const F_KICK_AT_ENTRY: u32 = 16384;
/** tscdeadline-latency's handler phase (2 bits: Start, Rearm, Eoi, Return) and its hit-max flag. */
export const F_TDL_HPHASE_SHIFT: u32 = 15;
export const F_TDL_HPHASE: u32 = 3 << 15;
export const F_TDL_HIT_MAX: u32 = 1 << 17;
// Bits 1<<15..1<<17: TSC-deadline workloads and the deadline proposals; 1<<18..1<<21: LAPIC
// one-shot and periodic workloads, pauses, migrations; 1<<22..1<<25: the host scheduler.

// Per-vCPU engine record (bytes).
export const THREAD_SEQ = 0; // i64, -1 = none, THREAD_PARKED: held back behind the vCPU's own queued timer
export const HRTIMER_SEQ = 8; // i64
export const HV_SEQ = 16; // i64
export const HALT_START_NS = 24; // i64, -1 = not halting
export const HALT_POLL_NS = 32; // u32 vcpu->halt_poll_ns
export const VM = 36; // u32: the address of the vCPU's VM's cells (vmPtr + vm * VM_CELLS * 8): a cell is one load away (vmCell)
export const FLAGS = 40; // u32
export const STATE = 44; // u8
export const PHASE = 45; // u8
export const NEXT_KIND = 46; // u8: the kind of the event at NEXT_AT_NS
export const ST_LOOPS = 48; // f64 cyclictest's loops so far (its other statistics: ctEngineStats)
export const COMPUTE_END_NS = 56; // f64: when the guest's work in progress ends
export const COMPUTE_LEFT_NS = 64; // f64: work still to do (after an exit interrupted it, or about to start)
export const NEXT_AT_NS = 72; // i64: the vCPU thread's next event, not yet in the queue (F_DEFERRED)
export const HRTIMER_AT_NS = 80; // i64: time of the queued hrtimer event (valid while HRTIMER_SEQ >= 0)
export const HV_AT_NS = 88; // i64: time of the preemption-timer event (valid while HV_SEQ >= 0), or u64: the host TSC it fires at (held back: F_HV_DEFERRED)
export const STALL_AT_NS = 96; // i64: time of the queued host stall
export const STALL_SEQ = 104; // i64: its seq (ties with a parked thread event: engine_chain.ts ownEventAhead)
export const ESTRIDE: usize = 112;

// Per-VM parameters (f64 cells).
export const VM_INTERVAL_CYCLES = 0;
export const VM_LOOPS = 1;
export const VM_BOOT_KHZ = 2;
export const VM_POLL_ALLOWED = 3;
export const VM_WORK_NS = 4;
/** cyclictest's idle is "poll". */
export const VM_IDLE_POLL = 5;
/** GuestExitPolicy (src/sim/exits-in-guest.ts): idleInGuest, canPostTimer, hvTimer. */
export const VM_IDLE_IN_GUEST = 6;
export const VM_CAN_POST = 7;
export const VM_HV_TIMER = 8;
/** The VM's built-in workload (WK_*): which guest program engine_guest.ts runs. */
export const VM_WORKLOAD = 9;
/** cyclictest on the PV ns-deadline MSR (WK_CYCLICTEST_PV): its interval in kvmclock ns. */
export const VM_CT_INTERVAL_NS = 10;
/** tscdeadline-latency: delta (cycles), samples at most (TABLE_SIZE capped), breakmax (cycles, 0 = none). */
export const VM_TDL_DELTA_CYCLES = 12;
export const VM_TDL_SIZE = 13;
export const VM_TDL_BREAKMAX_CYCLES = 14;
/** tscdeadline-latency printing its samples: the VM's first sample cell (guest_tscdl_state.ts), or -1. */
export const VM_TDL_SAMPLES_BASE = 15;
/** The VM's first vCPU (engine order): its vCPUs' samples follow one another from the base. */
export const VM_TDL_FIRST_VCPU = 16;
/** rearm-storm: interval (guest cycles at the VM's rate), rewrites per period, spacing (ns). */
export const VM_RS_INTERVAL_CYCLES = 12;
export const VM_RS_REWRITES = 13;
export const VM_RS_SPACING_NS = 14;
// Cells 10-17: TSC-deadline workloads and the deadline proposals; 18-27: LAPIC one-shot and
// periodic workloads, pauses, migrations; 28-35: the host scheduler. Set with ctEngineSetVmCell.
export const VM_CELLS = 36;

// Workload codes (src/sim/wasm-engine.ts WORKLOAD_CODES).
export const WK_CYCLICTEST = 0;
export const WK_TSCDEADLINE_LATENCY = 1;
export const WK_REARM_STORM = 2;
export const WK_IDLE_NOHZ = 3;
export const WK_PERIODIC = 4;
export const WK_ONESHOT = 5;
/** cyclictest arming the PV ns-deadline MSR (deadlineMsr "pv"). */
export const WK_CYCLICTEST_PV = 6;
