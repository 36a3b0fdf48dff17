// The public guest-program interface: what code running inside a simulated vCPU can do.
// A program is a generator: operations that leave guest mode (WRMSR, APIC writes
// through x2APIC MSRs, HLT, CPUID, guest computation) return an Exit to `yield`; the
// program continues when the guest runs again. Reads and register arithmetic are
// instant. 64-bit values live in eight guest registers inside wasm memory (r0..r7);
// the bigint accessors are a convenience for tests and one-off code, not hot loops.

/** Why the guest left guest mode (or paused); yielded by a program. */
export const Exit = {
  /** The operation did not leave guest mode: the program continues at once. */
  None: 0,
  /** WRMSR to IA32_TSC_DEADLINE (fastpath exit). */
  MsrWrite: 1,
  /** A write to an APIC register (x2APIC MSR exit). */
  ApicWrite: 2,
  /** HLT: block until an interrupt. */
  Halt: 3,
  /** CPUID (a serializing exit with no other effect). */
  Cpuid: 4,
  /** The guest computes for a while (no exit). */
  Compute: 5,
  /** Nothing left to do: the program ends (the vCPU halts for good). */
  Done: 6,
  /** A GuestMachine's interrupt handler returns (IRET). */
  Iret: 7,
  /**
   * The guest waits for an interrupt without leaving guest mode: its idle loop polls
   * (guest `idle=poll`). An armed preemption timer fires in guest mode meanwhile.
   */
  IdlePoll: 8,
} as const;
export type Exit = (typeof Exit)[keyof typeof Exit];

export type GuestGenerator = Generator<Exit, void, undefined>;

export interface GuestCtx {
  readonly vm: number;
  readonly vcpu: number;
  /**
   * The TSC rate the guest calibrated at boot: the vCPU's virtual_tsc_khz at creation. A
   * migration (vms.*.migrations) changes the vCPU's rate, not this — a guest kernel does
   * not recalibrate its TSC when it is moved.
   */
  readonly tscKhz: number;

  /** RDTSC into register r. */
  rdtscTo(r: number): void;
  /** r = src + imm (u64 wrap; imm a safe integer, may be negative). */
  regAdd(dst: number, src: number, imm: number): void;
  /** r = imm. */
  regSet(r: number, imm: number): void;
  /** s64(a - b) as a number. */
  regDiff(a: number, b: number): number;
  /** Register r as a bigint. */
  reg(r: number): bigint;
  /** RDTSC as a bigint. */
  rdtsc(): bigint;
  /**
   * APIC register read (LVTT, TMICT, TMCCT computed now, TDCR, SPIV, LVR). A TMCCT read,
   * and any read without APICv, exits (exits.apicRead): the value is the host's at the
   * read, and the round trip (host.delays.msrExit) passes before the program's next step.
   */
  readApic(offset: number): number;
  /** RDMSR IA32_TSC_DEADLINE into register r (0 outside TSC-deadline mode or after injection). */
  rdmsrTscDeadlineTo(r: number): void;
  /** Simulated guest-visible time in ns since the start (for programs that pace themselves). */
  nowNs(): number;
  /** The guest's kvmclock (ns since its boot) into register r: correct across migrations. */
  kvmclockTo(r: number): void;
  /** RDMSR of the PV ns deadline MSR into register r (kvm.pvDeadline; 0 when another MSR armed the timer). */
  rdmsrPvDeadlineTo(r: number): void;

  /** WRMSR IA32_TSC_DEADLINE = register r. */
  wrmsrTscDeadline(r: number): Exit;
  /** WRMSR of the PV deadline MSR (kvmclock ns) = register r (seed 003; ignored unless kvm.pvDeadline). */
  wrmsrPvDeadline(r: number): Exit;
  /** Write an APIC register (LVTT, TMICT, TDCR, SPIV, EOI). */
  writeApic(offset: number, value: number): Exit;
  /** EOI for the timer vector (an APIC write exit unless APICv virtualizes it). */
  eoi(): Exit;
  hlt(): Exit;
  /** Wait for an interrupt busy in guest mode (guest idle=poll): no exit. */
  idlePoll(): Exit;
  cpuid(): Exit;
  /** Guest computation for ns of time without leaving guest mode. */
  compute(ns: number): Exit;
  /** End the program. */
  done(): Exit;

  /** Record a timer latency sample: guest TSC in the handler minus the programmed deadline. */
  recordLatency(cycles: number): void;
  /** Record a latency measured in ns (e.g. against kvmclock). */
  recordLatencyNs(ns: number): void;
  /** Record a periodic timer's lateness against its previous interrupt plus the period, guest cycles (results' periodLatenessNs). */
  recordPeriodLateness(cycles: number): void;
  /** Output a line (e.g. tscdeadline_latency's "latency: N"), collected per vCPU when enabled. */
  print(line: string): void;
}

/** A guest program as generators: the easy way to write guest code. */
export interface GuestProgram {
  /** Runs from the start of the simulation. */
  main(g: GuestCtx): GuestGenerator;
  /** Interrupt handler for `vector` (interrupts are off while it runs; it should EOI). */
  interrupt(g: GuestCtx, vector: number): GuestGenerator;
  /** Called once when the simulation ends (e.g. to print a summary); no time passes. */
  finish?(g: GuestCtx): void;
}

/**
 * A guest program as a state machine: no generator and no allocation per step, for the
 * built-in workloads that run on every simulated interrupt. Each call performs the
 * instant operations of one step and returns the Exit that ends it; the machine keeps
 * its own per-vCPU position.
 */
export interface GuestMachine {
  readonly machine: true;
  /** The next step of the main flow (Exit.Done ends the program). */
  step(g: GuestCtx): Exit;
  /** The next step of the handler for `vector` (Exit.Iret when the handler returns). */
  interruptStep(g: GuestCtx, vector: number): Exit;
  finish?(g: GuestCtx): void;
}

export type AnyGuestProgram = GuestProgram | GuestMachine;
