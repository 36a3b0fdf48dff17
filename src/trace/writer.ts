// `tscsim run --trace FILE`: the simulation's trace records (assembly/sim/trace_log.ts)
// printed as `trace-cmd report` text, each event in its tracepoint's TP_printk format:
// kvm_exit / kvm_entry / kvm_wait_lapic_expire / kvm_hv_timer_state (arch/x86/kvm/trace.h),
// hrtimer_start / hrtimer_cancel / hrtimer_expire_entry / hrtimer_expire_exit
// (include/trace/events/timer.h), sched_waking / sched_switch (include/trace/events/sched.h)
// and kvm_vcpu_wakeup (include/trace/events/kvm.h).
//
// The host as the trace shows it: vCPU index v runs as the QEMU thread "CPU <n>/KVM" with
// thread id 4242 + v on host CPU v (each vCPU has a host CPU of its own in the model);
// while it is halted that CPU runs the idle task (<idle>-0, swapper/<cpu>). Timestamps are
// the simulated CLOCK_MONOTONIC (uptime 1 s at the start), in seconds with µs (trace-cmd
// report's default, truncated) or ns (`report -t`).

import { closeSync, openSync } from "node:fs";
import { wasm } from "../wasm.js";
import { InputRangeError } from "../errors.js";
import type { VcpuIds } from "../sim/vcpu-ids.js";
import { ByteOut, ascii } from "./byte-out.js";

const { TraceKind: K, TraceExit: X } = wasm;
const RECORD_F64 = 3;
const KIND_SHIFT = 0x1000000;

export interface TraceWriterOptions {
  /** Global vCPU indices to keep (null: all). */
  vcpus: ReadonlySet<number> | null;
  /** Simulated time since the start: records in [fromNs, toNs) are kept. */
  fromNs: number;
  toNs: number;
  /** Timestamp digits after the second: 6 (µs, trace-cmd report) or 9 (ns, report -t). */
  precision: "us" | "ns";
  /** Exit reason names: VMX (upper case) or SVM (lower case). */
  vendor: "vmx" | "svm";
  /** Host ns of simulated time 0 (Simulation's START_NS). */
  startNs: number;
}

/** The QEMU thread id of vCPU index v. */
export function traceTid(v: number): number {
  return 4242 + v;
}

/** A kernel-looking address for vCPU v's LAPIC hrtimer (struct kvm_timer in struct kvm_lapic). */
function hrtimerAddress(v: number): number {
  // 0xffff8881_0000_0000 does not fit an f64 exactly; print a 16-digit constant prefix instead.
  return 0x10000000 + v * 0x1000 + 0x1a8;
}

const VMX_REASON: Record<number, string> = {
  [X.ExternalInterrupt]: "EXTERNAL_INTERRUPT",
  [X.Hlt]: "HLT",
  [X.MsrWrite]: "MSR_WRITE",
  [X.ApicWrite]: "APIC_WRITE",
  [X.PreemptionTimer]: "PREEMPTION_TIMER",
};
const SVM_REASON: Record<number, string> = {
  [X.ExternalInterrupt]: "intr",
  [X.Hlt]: "hlt",
  [X.MsrWrite]: "msr",
  [X.ApicWrite]: "npf",
  [X.PreemptionTimer]: "intr",
};
/** Guest rip at each exit: the instruction that caused it (a stable, plausible address). */
const EXIT_RIP: Record<number, string> = {
  [X.ExternalInterrupt]: "0xffffffff81b2f1ee",
  [X.Hlt]: "0xffffffff81b2f1ec",
  [X.MsrWrite]: "0xffffffff8107e244",
  [X.ApicWrite]: "0xffffffff8107a4b5",
  [X.PreemptionTimer]: "0xffffffff81b2f1ee",
};

interface VcpuText {
  /** "       CPU 0/KVM-4242  [000] " */
  thread: Uint8Array;
  /** "          <idle>-0     [000] " */
  idle: Uint8Array;
  /** "CPU 0/KVM" with pid: "comm=CPU 0/KVM pid=4242 prio=120 target_cpu=000" */
  waking: Uint8Array;
  switchOut: Uint8Array;
  switchIn: Uint8Array;
  /** "vcpu 0" */
  vcpuId: number;
  hrtimer: Uint8Array;
}

function prefix(comm: string, pid: number, cpu: number): string {
  return `${comm.padStart(16)}-${String(pid).padEnd(5)} [${String(cpu).padStart(3, "0")}] `;
}

const F = {
  exit: ascii("d..1. "),
  entry: ascii("d..1. "),
  wait: ascii("d..1. "),
  hrStart: ascii("d..1. "),
  hrCancel: ascii("d..1. "),
  hrExpire: ascii("d.h1. "),
  waking: ascii("d.h2. "),
  sw: ascii("d..2. "),
  wakeup: ascii("...1. "),
  hv: ascii("d..1. "),
};
function ev(name: string): Uint8Array {
  return ascii(`${name}:`.padEnd(21) + " ");
}
const E = {
  exit: ev("kvm_exit"),
  entry: ev("kvm_entry"),
  wait: ev("kvm_wait_lapic_expire"),
  hrStart: ev("hrtimer_start"),
  hrCancel: ev("hrtimer_cancel"),
  hrEntry: ev("hrtimer_expire_entry"),
  hrExit: ev("hrtimer_expire_exit"),
  waking: ev("sched_waking"),
  sw: ev("sched_switch"),
  wakeup: ev("kvm_vcpu_wakeup"),
  hv: ev("kvm_hv_timer_state"),
};
const T = {
  vcpu: ascii("vcpu "),
  reason: ascii(" reason "),
  rip: ascii(" rip "),
  exitTail: ascii(" info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000"),
  exitTailIntr: ascii(" info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x800000ec error_code 0x00000000"),
  entryRip: ascii(", rip 0xffffffff81b2f1ee"),
  entryRipMsr: ascii(", rip 0xffffffff8107e246"),
  delta: ascii(": delta "),
  early: ascii(" (early)"),
  late: ascii(" (late)"),
  fnApic: ascii(" function=apic_timer_fn"),
  expires: ascii(" expires="),
  softexpires: ascii(" softexpires="),
  modeAbs: ascii(" mode=ABS|HARD"),
  now: ascii(" now="),
  waitTime: ascii("wait time "),
  pollTime: ascii("poll time "),
  nsValid: ascii(" ns, polling valid"),
  hvVcpu: ascii("vcpu_id "),
  hvTimer: ascii(" hv_timer "),
};

/** Drains the wasm trace buffer into a file as trace-cmd report text. */
export class TraceWriter {
  private readonly out: ByteOut;
  private readonly fd: number;
  private readonly text: VcpuText[] = [];
  /** Per vCPU: an hrtimer_expire_exit waits for the kick its callback makes (same time). */
  private readonly expireExitAt: Float64Array;
  /** 1 when that callback ran with the vCPU thread as the current task. */
  private readonly expireTask: Uint8Array;
  private readonly reasons: Record<number, Uint8Array>;
  private readonly ripOf: Record<number, Uint8Array>;
  lines = 0;

  constructor(
    file: string,
    private readonly ids: VcpuIds,
    private readonly o: TraceWriterOptions,
  ) {
    try {
      this.fd = openSync(file, "w");
    } catch (err) {
      throw new InputRangeError("--trace", file, `a writable file path (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    this.out = new ByteOut(this.fd);
    this.expireExitAt = new Float64Array(ids.count).fill(-1);
    this.expireTask = new Uint8Array(ids.count);
    const names = o.vendor === "svm" ? SVM_REASON : VMX_REASON;
    this.reasons = Object.fromEntries(Object.entries(names).map(([k, n]) => [k, ascii(n)]));
    this.ripOf = Object.fromEntries(Object.entries(EXIT_RIP).map(([k, n]) => [k, ascii(n)]));
    this.out.bytes(ascii(`cpus=${ids.count}\n`));
  }

  private vcpuText(v: number): VcpuText {
    let t = this.text[v];
    if (t !== undefined) return t;
    const n = this.ids.vcpuInVm(v);
    const comm = `CPU ${n}/KVM`;
    const tid = traceTid(v);
    const cpu = String(v).padStart(3, "0");
    t = {
      thread: ascii(prefix(comm, tid, v)),
      idle: ascii(prefix("<idle>", 0, v)),
      waking: ascii(`comm=${comm} pid=${tid} prio=120 target_cpu=${cpu}`),
      switchOut: ascii(`prev_comm=${comm} prev_pid=${tid} prev_prio=120 prev_state=S ==> next_comm=swapper/${v} next_pid=0 next_prio=120`),
      switchIn: ascii(`prev_comm=swapper/${v} prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=${comm} next_pid=${tid} next_prio=120`),
      vcpuId: n,
      hrtimer: ascii(`hrtimer=0xffff8881${hrtimerAddress(v).toString(16).padStart(8, "0")}`),
    };
    this.text[v] = t;
    return t;
  }

  /** The line's start: task, CPU, flags, timestamp, event name. */
  private head(task: Uint8Array, flags: Uint8Array, ns: number, event: Uint8Array): void {
    const out = this.out;
    out.room();
    out.bytes(task);
    out.bytes(flags);
    const sec = Math.floor(ns / 1e9);
    const frac = ns - sec * 1e9;
    out.uint(sec);
    out.byte(46);
    if (this.o.precision === "ns") out.padded(frac, 9);
    else out.padded(Math.floor(frac / 1000), 6);
    out.byte(58);
    out.byte(32);
    out.bytes(event);
    this.lines++;
  }

  private expireExit(v: number, t: VcpuText, task: Uint8Array): void {
    this.head(task, F.hrExpire, this.expireExitAt[v]!, E.hrExit);
    this.out.bytes(t.hrtimer);
    this.out.byte(10);
    this.expireExitAt[v] = -1;
  }

  // Records waiting for their turn: the wasm engine runs a vCPU's own next steps ahead of
  // the others (cyclictest_engine.ts flushChain), so one drain's records are in time order
  // per vCPU but not across vCPUs. They are kept, sorted by time (stable: a vCPU's records
  // at one ns stay in the order they were made), and printed once no event still queued
  // can come before them: trace-cmd report's order.
  private pTime = new Float64Array(1 << 14);
  private pCode = new Float64Array(1 << 14);
  private pArg = new Float64Array(1 << 14);
  private pCount = 0;

  private grow(need: number): void {
    if (need <= this.pTime.length) return;
    let size = this.pTime.length;
    while (size < need) size *= 2;
    for (const key of ["pTime", "pCode", "pArg"] as const) {
      const next = new Float64Array(size);
      next.set(this[key].subarray(0, this.pCount));
      this[key] = next;
    }
  }

  /** Takes the records in the wasm buffer, then prints those before `untilNs`. */
  drain(untilNs = Number(wasm.queuePeekNs())): void {
    const n = wasm.traceLogCount();
    if (n > 0) {
      const rec = new Float64Array(wasm.memory.buffer, wasm.traceLogPtr(), n * RECORD_F64);
      const { vcpus, startNs } = this.o;
      const fromNs = startNs + this.o.fromNs;
      const toNs = startNs + this.o.toNs;
      this.grow(this.pCount + n);
      const pt = this.pTime;
      const pc = this.pCode;
      const pa = this.pArg;
      for (let i = 0, o = 0; i < n; i++, o += RECORD_F64) {
        const ns = rec[o]!;
        if (ns < fromNs || ns >= toNs) continue;
        const code = rec[o + 1]!;
        if (vcpus !== null && !vcpus.has(code % KIND_SHIFT)) continue;
        // Insertion from the back: the records are nearly in order.
        let j = this.pCount++;
        while (j > 0 && pt[j - 1]! > ns) {
          pt[j] = pt[j - 1]!;
          pc[j] = pc[j - 1]!;
          pa[j] = pa[j - 1]!;
          j--;
        }
        pt[j] = ns;
        pc[j] = code;
        pa[j] = rec[o + 2]!;
      }
      wasm.traceLogClear();
    }
    let k = 0;
    while (k < this.pCount && this.pTime[k]! < untilNs) {
      this.print(k);
      k++;
    }
    if (k > 0) {
      for (const a of [this.pTime, this.pCode, this.pArg]) a.copyWithin(0, k, this.pCount);
      this.pCount -= k;
    }
  }

  /** Whether the record after pending record k at its time is vCPU v's kick from its hrtimer callback. */
  private kickFollows(k: number, v: number): boolean {
    const ns = this.pTime[k]!;
    for (let j = k + 1; j < this.pCount && this.pTime[j] === ns; j++) {
      const code = this.pCode[j]!;
      if (code % KIND_SHIFT !== v) continue;
      const kind = (code - v) / KIND_SHIFT;
      return kind === K.Waking || (kind === K.Exit && this.pArg[j] === X.ExternalInterrupt);
    }
    return false;
  }

  private print(k: number): void {
    const ns = this.pTime[k]!;
    const code = this.pCode[k]!;
    const arg = this.pArg[k]!;
    const out = this.out;
    const v = code % KIND_SHIFT;
    const kind = (code - v) / KIND_SHIFT;
    const t = this.vcpuText(v);
    const pendingExit = this.expireExitAt[v]! >= 0;
    // The callback's own kick (waking, or an exit from guest mode) comes before its expire_exit.
    const kickOfCallback = pendingExit && ns === this.expireExitAt[v] && (kind === K.Waking || (kind === K.Exit && arg === X.ExternalInterrupt));
    if (pendingExit && !kickOfCallback) this.expireExit(v, t, this.expireTask[v] === 1 ? t.thread : t.idle);
    switch (kind) {
      case K.Exit:
        this.head(t.thread, F.exit, ns, E.exit);
        out.bytes(T.vcpu);
        out.uint(t.vcpuId);
        out.bytes(T.reason);
        out.bytes(this.reasons[arg]!);
        out.bytes(T.rip);
        out.bytes(this.ripOf[arg]!);
        out.bytes(arg === X.ExternalInterrupt ? T.exitTailIntr : T.exitTail);
        break;
      case K.Entry:
        this.head(t.thread, F.entry, ns, E.entry);
        out.bytes(T.vcpu);
        out.uint(t.vcpuId);
        out.bytes(T.entryRip);
        break;
      case K.WaitLapicExpire:
        this.head(t.thread, F.wait, ns, E.wait);
        out.bytes(T.vcpu);
        out.uint(t.vcpuId);
        out.bytes(T.delta);
        out.int(arg);
        out.bytes(arg < 0 ? T.early : T.late);
        break;
      case K.HrtimerStart:
        this.head(t.thread, F.hrStart, ns, E.hrStart);
        out.bytes(t.hrtimer);
        out.bytes(T.fnApic);
        out.bytes(T.expires);
        out.uint(arg);
        out.bytes(T.softexpires);
        out.uint(arg);
        out.bytes(T.modeAbs);
        break;
      case K.HrtimerCancel:
        this.head(t.thread, F.hrCancel, ns, E.hrCancel);
        out.bytes(t.hrtimer);
        break;
      case K.HrtimerExpire:
        this.head(arg === 1 ? t.thread : t.idle, F.hrExpire, ns, E.hrEntry);
        out.bytes(t.hrtimer);
        out.bytes(T.fnApic);
        out.bytes(T.now);
        out.uint(ns);
        out.byte(10);
        this.expireExitAt[v] = ns;
        this.expireTask[v] = arg === 1 ? 1 : 0;
        // hrtimer_expire_exit follows the callback's kick, if it made one.
        if (!this.kickFollows(k, v)) this.expireExit(v, t, arg === 1 ? t.thread : t.idle);
        return;
      case K.Waking:
        this.head(t.idle, F.waking, ns, E.waking);
        out.bytes(t.waking);
        break;
      case K.SwitchOut:
        this.head(t.thread, F.sw, ns, E.sw);
        out.bytes(t.switchOut);
        break;
      case K.SwitchIn:
        if (arg >= 0) {
          this.head(t.idle, F.sw, ns, E.sw);
          out.bytes(t.switchIn);
          out.byte(10);
          this.head(t.thread, F.wakeup, ns, E.wakeup);
          out.bytes(T.waitTime);
          out.uint(arg);
        } else {
          this.head(t.thread, F.wakeup, ns, E.wakeup);
          out.bytes(T.pollTime);
          out.uint(-arg);
        }
        out.bytes(T.nsValid);
        break;
      case K.HvTimerState:
        this.head(t.thread, F.hv, ns, E.hv);
        out.bytes(T.hvVcpu);
        out.hex(t.vcpuId);
        out.bytes(T.hvTimer);
        out.uint(arg);
        break;
      default:
        return;
    }
    out.byte(10);
    if (kickOfCallback) this.expireExit(v, t, this.expireTask[v] === 1 ? t.thread : t.idle);
  }

  /** Drains what is left, writes the pending lines and closes the file; returns the bytes written. */
  finish(): number {
    this.drain(Number.POSITIVE_INFINITY);
    this.expireExitAt.forEach((at, v) => {
      if (at >= 0) this.expireExit(v, this.vcpuText(v), this.expireTask[v] === 1 ? this.vcpuText(v).thread : this.vcpuText(v).idle);
    });
    this.out.flush();
    closeSync(this.fd);
    return this.out.written;
  }
}
