// What the guest's instructions do on one vCPU (the GuestCtx a program runs against):
// which ones stay in guest mode (RDTSC, register arithmetic, kvmclock reads, reads of
// APIC registers APICv virtualizes, EOI with APICv, a lazy TSC-deadline write that need
// not trap) and which trap to KVM, counted by exit reason and handed to the LAPIC model:
// WRMSR IA32_TSC_DEADLINE (kvm_set_lapic_tscdeadline_msr), the PV deadline MSR, APIC
// register writes (kvm_lapic_reg_write) and the trapped reads (TMCCT always, since
// apic_get_tmcct computes it; every register without APICv). An instruction returns
// the Exit the program yields; guest-run.ts acts on it.

import { wasm } from "../../wasm.js";
import { Exit, type GuestCtx } from "../guest.js";
import { APIC_EOI, APIC_LVR, APIC_LVTT, APIC_SPIV, APIC_TDCR, APIC_TMCCT, APIC_TMICT, APIC_VERSION } from "../apic-regs.js";
import { ExitReason } from "../metrics-sink.js";
import { SCRATCH_REG, VcpuCore } from "./state.js";

const { TraceKind: TK, TraceExit: TX } = wasm;

/** The guest's instruction set on this vCPU, over the core state (state.ts). */
export abstract class VcpuInstructions extends VcpuCore implements GuestCtx {
  /** Round trips of trapped APIC register reads not yet taken (ns); guest-run.ts takes them before the next step. */
  protected readExitNs = 0;
  /** A Compute exit in progress: when it ends, and what is left after an interruption. */
  protected computeEndNs = 0;
  protected computeLeftNs = 0;
  /** Lines the program printed (when the scenario keeps output). */
  abstract readonly output: string[] | null;

  rdtscTo(r: number): void {
    wasm.gRdtsc(this.index, r);
  }
  regAdd(dst: number, src: number, imm: number): void {
    wasm.gAddImm(this.index, dst, src, imm);
  }
  regSet(r: number, imm: number): void {
    wasm.gSetImm(this.index, r, imm);
  }
  regDiff(a: number, b: number): number {
    return wasm.gDiff(this.index, a, b);
  }
  reg(r: number): bigint {
    return wasm.gGet(this.index, r);
  }
  rdtsc(): bigint {
    wasm.gRdtsc(this.index, SCRATCH_REG);
    return wasm.gGet(this.index, SCRATCH_REG);
  }
  readApic(offset: number): number {
    // TMCCT is never virtualized (KVM intercepts its read); the others only with APICv.
    // The host answers at once; the round trip is taken before the guest's next step.
    if (offset === APIC_TMCCT || !this.env.lapic.apicv) {
      this.metrics.recordExit(ExitReason.apicRead);
      this.readExitNs += this.env.delays.msrExit(this.index);
    }
    const l = this.lapic;
    switch (offset) {
      case APIC_LVR:
        return APIC_VERSION;
      case APIC_SPIV:
        return l.spiv;
      case APIC_LVTT:
        return l.lvtt;
      case APIC_TMICT:
        return l.tmict;
      case APIC_TMCCT:
        return l.readTmcct();
      case APIC_TDCR:
        return l.tdcr;
      default:
        return 0;
    }
  }
  rdmsrTscDeadlineTo(r: number): void {
    this.lapic.readTscDeadline(r);
  }
  nowNs(): number {
    return wasm.nowF64() - this.env.startNs;
  }
  kvmclockTo(r: number): void {
    wasm.gKvmclock(this.index, r);
  }
  rdmsrPvDeadlineTo(r: number): void {
    this.lapic.readPvDeadline(r);
  }
  wrmsrPvDeadline(r: number): Exit {
    this.metrics.recordExit(ExitReason.msrWrite);
    this.trace(TK.Exit, TX.MsrWrite);
    this.lapic.writePvDeadline(r);
    return Exit.MsrWrite;
  }
  wrmsrTscDeadline(r: number): Exit {
    // Lazy TSC-deadline: the guest updates the shared page and traps only when needed.
    if (this.env.lapic.lazyTscDeadline && this.lapic.deadlineModeActive && !wasm.lazyGuestWrite(this.index, r)) return Exit.None;
    this.metrics.recordExit(ExitReason.msrWrite);
    this.trace(TK.Exit, TX.MsrWrite);
    this.lapic.writeTscDeadline(r);
    return Exit.MsrWrite;
  }
  writeApic(offset: number, value: number): Exit {
    this.metrics.recordExit(ExitReason.apicWrite);
    this.trace(TK.Exit, TX.ApicWrite);
    const l = this.lapic;
    switch (offset) {
      case APIC_LVTT:
        l.writeLvtt(value);
        break;
      case APIC_TMICT:
        l.writeTmict(value);
        break;
      case APIC_TDCR:
        l.writeTdcr(value);
        break;
      case APIC_SPIV:
        l.writeSpiv(value);
        break;
      case APIC_EOI:
        l.vectorInService = false;
        break;
    }
    return Exit.ApicWrite;
  }
  eoi(): Exit {
    if (this.env.lapic.apicv) {
      // APICv virtualizes EOI: no exit.
      this.lapic.vectorInService = false;
      return Exit.None;
    }
    return this.writeApic(APIC_EOI, 0);
  }
  hlt(): Exit {
    return Exit.Halt;
  }
  idlePoll(): Exit {
    return Exit.IdlePoll;
  }
  cpuid(): Exit {
    this.trace(TK.Exit, TX.Cpuid);
    return Exit.Cpuid;
  }
  compute(ns: number): Exit {
    this.computeLeftNs = ns;
    return Exit.Compute;
  }
  done(): Exit {
    return Exit.Done;
  }
  recordLatency(cycles: number): void {
    this.metrics.recordLatency(cycles, wasm.cyclesToNsSigned(this.index, cycles));
  }
  recordLatencyNs(ns: number): void {
    this.metrics.recordLatency(wasm.nsToCyclesSigned(this.index, ns), ns);
  }
  recordPeriodLateness(cycles: number): void {
    this.metrics.recordPeriodLateness?.(wasm.cyclesToNsSigned(this.index, cycles));
  }
  print(line: string): void {
    this.output?.push(line);
  }
}
