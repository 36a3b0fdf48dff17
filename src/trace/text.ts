// The fixed texts of `tscsim run --trace` (writer.ts): thread ids, exit reason names and
// guest rips per vendor, the per-vCPU line prefixes trace-cmd report prints, and which
// records are an hrtimer callback's kick.

import { wasm } from "../wasm.js";
import { ascii } from "./byte-out.js";

const { TraceKind: K, TraceExit: X } = wasm;

/** The QEMU thread id of vCPU index v. */
export function traceTid(v: number): number {
  return 4242 + v;
}

/**
 * The low 32 bits of a kernel-looking address for vCPU v's LAPIC hrtimer, printed after
 * the constant 0xffff8881 (a whole address does not fit a double): distinct for every
 * vCPU index below 2^24, always 8 hex digits.
 */
export function hrtimerAddress(v: number): number {
  return 0x10000000 + v * 0x40 + 0x1a8;
}

export const VMX_REASON: Record<number, string> = {
  [X.ExternalInterrupt]: "EXTERNAL_INTERRUPT",
  [X.Cpuid]: "CPUID",
  [X.Hlt]: "HLT",
  [X.MsrWrite]: "MSR_WRITE",
  [X.ApicWrite]: "APIC_WRITE",
  [X.PreemptionTimer]: "PREEMPTION_TIMER",
};
export const SVM_REASON: Record<number, string> = {
  [X.ExternalInterrupt]: "intr",
  [X.Cpuid]: "cpuid",
  [X.Hlt]: "hlt",
  [X.MsrWrite]: "msr",
  [X.ApicWrite]: "npf",
  [X.PreemptionTimer]: "intr",
};
/** Guest rip at each exit: the instruction that caused it (a stable, plausible address). */
export const EXIT_RIP: Record<number, string> = {
  [X.ExternalInterrupt]: "0xffffffff81b2f1ee",
  [X.Cpuid]: "0xffffffff81035c62",
  [X.Hlt]: "0xffffffff81b2f1ec",
  [X.MsrWrite]: "0xffffffff8107e244",
  [X.ApicWrite]: "0xffffffff8107a4b5",
  [X.PreemptionTimer]: "0xffffffff81b2f1ee",
};

/** A vCPU's lines, made once: what comes before the timestamp (task, CPU, flags) and after it. */
export interface VcpuText {
  /** Before the timestamp: "       CPU 0/KVM-4242  [000] d..1. " and the other task/flag pairs. */
  t1: Uint8Array;
  tH: Uint8Array;
  iH: Uint8Array;
  iW: Uint8Array;
  tS: Uint8Array;
  iS: Uint8Array;
  tU: Uint8Array;
  /** After it: whole rest-of-line texts, or the text before a number. */
  exit: Record<number, Uint8Array>;
  entry: Uint8Array;
  wait: Uint8Array;
  hrStart: Uint8Array;
  hrCancel: Uint8Array;
  hrEntry: Uint8Array;
  hrExit: Uint8Array;
  waking: Uint8Array;
  switchOut: Uint8Array;
  switchIn: Uint8Array;
  wakeupWait: Uint8Array;
  wakeupPoll: Uint8Array;
  hv: [Uint8Array, Uint8Array];
}

export function prefix(comm: string, pid: number, cpu: number): string {
  return `${comm.padStart(16)}-${String(pid).padEnd(5)} [${String(cpu).padStart(3, "0")}] `;
}

export const T = {
  early: ascii(" (early)\n"),
  late: ascii(" (late)\n"),
  softexpires: ascii(" softexpires="),
  modeAbs: ascii(" mode=ABS|HARD\n"),
  nsValid: ascii(" ns, polling valid\n"),
};

/** How an hrtimer callback's kick shows: the thread woken (it was blocked) or an external-interrupt exit (it was in guest mode). */
export function isCallbackKick(kind: number, arg: number): boolean {
  return kind === K.Waking || (kind === K.Exit && arg === X.ExternalInterrupt);
}
