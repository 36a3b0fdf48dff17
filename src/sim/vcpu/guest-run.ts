// Running the guest program on one vCPU while it is in guest mode: interrupts delivered
// at an instruction boundary (the handler runs, interrupts off, until its IRET), the
// program stepped until an operation leaves guest mode, and what each Exit does —
// a trap to the host (its round trip), HLT (kvm_vcpu_halt through the Block event, or
// idling in guest mode when HLT/MWAIT exits are disabled, kvm_hlt_in_guest), idle=poll,
// guest computation that an exit may interrupt. Leaving guest mode stops the
// preemption timer, which only counts in guest mode. The host side that follows an exit
// is exit-entry.ts.

import { wasm } from "../../wasm.js";
import { EventKind } from "../events.js";
import { Exit, type GuestGenerator, type GuestMachine, type GuestProgram } from "../guest.js";
import { ExitReason } from "../metrics-sink.js";
import { VcpuInstructions } from "./instructions.js";

const { TraceKind: TK, TraceExit: TX } = wasm;

/**
 * How a vCPU in guest mode waits for an interrupt: not at all (it runs), its idle loop
 * polls (idle=poll), or its HLT/MWAIT idles the physical CPU in guest mode (disableExits).
 */
export const enum GuestWait {
  None = 0,
  Poll = 1,
  CpuIdle = 2,
}

/** The guest program's execution, over the instructions (instructions.ts). */
export abstract class VcpuGuest extends VcpuInstructions {
  /** The generator program's main flow (null for a GuestMachine). */
  protected main: GuestGenerator | null = null;
  protected handler: GuestGenerator | null = null;
  /** The machine program, if the program is one. */
  protected abstract readonly machine: GuestMachine | null;
  /** An interrupt handler is running (vector), else -1. */
  protected handlerVector = -1;
  /** The program's current yield is a Halt waiting for an interrupt. */
  protected halted = false;
  /** The guest waits for an interrupt without leaving guest mode (idle=poll, HLT in guest). */
  protected guestWait = GuestWait.None;
  /** The exit a step's trapped APIC reads hold back until their round trips are taken. */
  protected heldExit = -1;

  /** Runs the guest program until it leaves guest mode. */
  protected runProgram(): void {
    for (;;) {
      this.takeInterrupt();
      // Still waiting in guest mode: nothing happens until an interrupt arrives.
      if (this.guestWait !== GuestWait.None) return;
      if (this.handlerVector < 0 && this.computeLeftNs > 0) {
        const left = this.computeLeftNs;
        this.computeLeftNs = 0;
        this.enterCompute(left);
        return;
      }
      let exit: Exit;
      if (this.heldExit >= 0) {
        exit = this.heldExit as Exit;
        this.heldExit = -1;
      } else {
        exit = this.step();
        if (this.readExitNs > 0 && exit !== Exit.Done) {
          // The step's trapped APIC reads exited: the guest goes on after their round trips.
          this.heldExit = exit;
          const ns = this.readExitNs;
          this.readExitNs = 0;
          this.leaveGuest();
          this.state = "exit";
          this.schedule(EventKind.GuestResume, ns);
          return;
        }
      }
      if (exit === Exit.Iret) {
        this.handlerVector = -1;
        this.handler = null;
        continue;
      }
      if (exit === Exit.Done) {
        this.state = "done";
        this.schedSleep();
        return;
      }
      if (!this.onExit(exit)) return;
    }
  }

  /** Interrupts are delivered at an instruction boundary when none is in progress; HLT returns after one. */
  protected takeInterrupt(): void {
    if (this.lapic.vectorToDeliver < 0 || this.handlerVector >= 0) return;
    this.halted = false;
    this.guestWait = GuestWait.None;
    this.deliverInterrupt();
  }

  /** One step of the running flow (the handler if one runs): the Exit it ends with. */
  protected step(): Exit {
    const m = this.machine;
    if (m !== null) return this.handlerVector >= 0 ? m.interruptStep(this, this.handlerVector) : m.step(this);
    if (this.handler !== null) {
      const r = this.handler.next();
      return r.done ? Exit.Iret : r.value;
    }
    const r = this.main!.next();
    return r.done ? Exit.Done : r.value;
  }

  protected deliverInterrupt(): void {
    const vector = this.lapic.vectorToDeliver;
    this.lapic.vectorToDeliver = -1;
    this.lapic.vectorInService = true;
    this.handlerVector = vector;
    if (this.machine === null) this.handler = (this.env.program as GuestProgram).interrupt(this, vector);
  }

  /** Handles a yielded Exit; returns true when the program continues at once. */
  protected onExit(exit: Exit): boolean {
    const d = this.env.delays;
    switch (exit) {
      case Exit.None:
        return true;
      case Exit.MsrWrite:
      case Exit.ApicWrite:
      case Exit.Cpuid:
        this.leaveGuest();
        this.state = "exit";
        this.schedule(EventKind.GuestResume, d.msrExit(this.index));
        return false;
      case Exit.Compute:
        this.enterCompute(this.computeLeftNs);
        this.computeLeftNs = 0;
        return false;
      case Exit.IdlePoll:
        return this.waitInGuest(GuestWait.Poll);
      case Exit.Halt:
        // HLT (or MWAIT) in the guest: no exit, the physical CPU idles (kvm_hlt_in_guest).
        if (this.env.exits.idleInGuest) return this.waitInGuest(GuestWait.CpuIdle);
        this.trace(TK.Exit, TX.Hlt);
        this.metrics.recordExit(ExitReason.hlt);
        this.leaveGuest();
        this.halted = true;
        this.state = "exit";
        this.schedule(EventKind.Block, d.vmExit(this.index));
        return false;
    }
    // Exit.Done and Exit.Iret never get here: runProgram handles them first.
    return true;
  }

  /** The guest waits in guest mode; an interrupt already waiting ends the wait at once. */
  protected waitInGuest(wait: GuestWait): boolean {
    if (this.lapic.vectorToDeliver >= 0) return true;
    this.guestWait = wait;
    return false;
  }

  /** The C-state exit a CPU idling in the guest's HLT/MWAIT pays before anything runs on it. */
  protected idleExitNs(): number {
    return this.guestWait === GuestWait.CpuIdle ? this.env.delays.cpuIdleExit(this.index) : 0;
  }

  protected enterCompute(ns: number): void {
    this.state = "guest";
    this.computeEndNs = wasm.nowF64() + ns;
    this.schedule(EventKind.GuestResume, ns);
  }

  /** Leaving guest mode stops the preemption timer (it only counts in guest mode). */
  protected leaveGuest(): void {
    this.hvSeq = -1;
    if (this.state === "guest" && this.threadSeq >= 0) {
      // An exit interrupted a Compute: keep what is left of it.
      this.computeLeftNs = Math.max(0, this.computeEndNs - wasm.nowF64());
      this.threadSeq = -1;
    }
  }
}
