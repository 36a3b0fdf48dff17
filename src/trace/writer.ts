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
import { EXIT_RIP, SVM_REASON, T, VMX_REASON, type VcpuText, hrtimerAddress, isCallbackKick, prefix, traceTid } from "./text.js";

const { TraceKind: K, TraceExit: X } = wasm;
const RECORD_F64 = 3;
/** A record's code is kind · 2^24 + vCPU index (a whole number below 2^31). */
const VCPU_BITS = 0xffffff;

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

/** Drains the wasm trace buffer into a file as trace-cmd report text. */
export class TraceWriter {
  private readonly out: ByteOut;
  private readonly fd: number;
  private readonly text: VcpuText[] = [];
  /** Per vCPU: an hrtimer_expire_exit waits for the kick its callback makes (same time). */
  private readonly expireExitAt: Float64Array;
  /** 1 when that callback ran with the vCPU thread as the current task. */
  private readonly expireTask: Uint8Array;
  private readonly reasonNames: Record<number, string>;
  lines = 0;
  private tsKey = -1;
  private readonly tsText = new Uint8Array(32);
  private tsLength = 0;

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
    this.reasonNames = o.vendor === "svm" ? SVM_REASON : VMX_REASON;
    this.out.bytes(ascii(`cpus=${ids.count}\n`));
  }

  private vcpuText(v: number): VcpuText {
    let t = this.text[v];
    if (t !== undefined) return t;
    const n = this.ids.vcpuInVm(v);
    const comm = `CPU ${n}/KVM`;
    const tid = traceTid(v);
    const cpu = String(v).padStart(3, "0");
    const thread = prefix(comm, tid, v);
    const idle = prefix("<idle>", 0, v);
    const ev = (name: string) => `${name}:`.padEnd(21) + " ";
    const hrtimer = `hrtimer=0xffff8881${hrtimerAddress(v).toString(16).padStart(8, "0")}`;
    const exit: Record<number, Uint8Array> = {};
    for (const [code, name] of Object.entries(this.reasonNames)) {
      const intr = Number(code) === X.ExternalInterrupt ? "0x800000ec" : "0x00000000";
      exit[Number(code)] = ascii(`${ev("kvm_exit")}vcpu ${n} reason ${name} rip ${EXIT_RIP[Number(code)]} info1 0x0000000000000000 info2 0x0000000000000000 intr_info ${intr} error_code 0x00000000\n`);
    }
    t = {
      t1: ascii(`${thread}d..1. `),
      tH: ascii(`${thread}d.h1. `),
      iH: ascii(`${idle}d.h1. `),
      iW: ascii(`${idle}d.h2. `),
      tS: ascii(`${thread}d..2. `),
      iS: ascii(`${idle}d..2. `),
      tU: ascii(`${thread}...1. `),
      exit,
      entry: ascii(`${ev("kvm_entry")}vcpu ${n}, rip 0xffffffff81b2f1ee\n`),
      wait: ascii(`${ev("kvm_wait_lapic_expire")}vcpu ${n}: delta `),
      hrStart: ascii(`${ev("hrtimer_start")}${hrtimer} function=apic_timer_fn expires=`),
      hrCancel: ascii(`${ev("hrtimer_cancel")}${hrtimer}\n`),
      hrEntry: ascii(`${ev("hrtimer_expire_entry")}${hrtimer} function=apic_timer_fn now=`),
      hrExit: ascii(`${ev("hrtimer_expire_exit")}${hrtimer}\n`),
      waking: ascii(`${ev("sched_waking")}comm=${comm} pid=${tid} prio=120 target_cpu=${cpu}\n`),
      switchOut: ascii(`${ev("sched_switch")}prev_comm=${comm} prev_pid=${tid} prev_prio=120 prev_state=S ==> next_comm=swapper/${v} next_pid=0 next_prio=120\n`),
      switchIn: ascii(`${ev("sched_switch")}prev_comm=swapper/${v} prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=${comm} next_pid=${tid} next_prio=120\n`),
      wakeupWait: ascii(`${ev("kvm_vcpu_wakeup")}wait time `),
      wakeupPoll: ascii(`${ev("kvm_vcpu_wakeup")}poll time `),
      hv: [ascii(`${ev("kvm_hv_timer_state")}vcpu_id ${n.toString(16)} hv_timer 0\n`), ascii(`${ev("kvm_hv_timer_state")}vcpu_id ${n.toString(16)} hv_timer 1\n`)],
    };
    this.text[v] = t;
    return t;
  }


  /** The line's start: task, CPU, flags and timestamp. */
  private head(before: Uint8Array, ns: number): void {
    const out = this.out;
    out.room();
    out.bytes(before);
    // Neighbouring lines often share their timestamp: format it once.
    const key = this.o.precision === "ns" ? ns : Math.floor(ns / 1000);
    if (key !== this.tsKey) {
      this.tsKey = key;
      const sec = Math.floor(ns / 1e9);
      const frac = ns - sec * 1e9;
      const start = out.pos;
      out.uint(sec);
      out.byte(46);
      if (this.o.precision === "ns") out.padded(frac, 9);
      else out.padded(Math.floor(frac / 1000), 6);
      out.byte(58);
      out.byte(32);
      this.tsLength = out.copySince(start, this.tsText);
    } else out.bytesN(this.tsText, this.tsLength);
    this.lines++;
  }


  private expireExit(v: number, t: VcpuText, thread: boolean): void {
    this.head(thread ? t.tH : t.iH, this.expireExitAt[v]!);
    this.out.bytes(t.hrExit);
    this.expireExitAt[v] = -1;
  }


  // Records waiting for their turn: the wasm engine runs a vCPU's own next steps ahead of
  // the others (engine_chain.ts flushChain), so one drain's records are in time order
  // per vCPU but not across vCPUs. They are kept in arrival order with an index sorted by
  // time (stable: a vCPU's records at one ns stay in the order they were made), and
  // printed once no event still queued can come before them: trace-cmd report's order.
  private pTime = new Float64Array(1 << 14);
  private pCode = new Float64Array(1 << 14);
  private pArg = new Float64Array(1 << 14);
  private order = new Uint32Array(1 << 14);
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
    const order = new Uint32Array(size);
    order.set(this.order.subarray(0, this.pCount));
    this.order = order;
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
      const order = this.order;
      let count = this.pCount;
      for (let i = 0, o = 0; i < n; i++, o += RECORD_F64) {
        const ns = rec[o]!;
        if (ns < fromNs || ns >= toNs) continue;
        const code = rec[o + 1]!;
        if (vcpus !== null && !vcpus.has(code & VCPU_BITS)) continue;
        const at = count++;
        pt[at] = ns;
        pc[at] = code;
        pa[at] = rec[o + 2]!;
        // Insertion from the back (records arrive in time order on a traced run, which
        // queues every event; the sort keeps the file right whatever the order).
        let j = at;
        while (j > 0 && pt[order[j - 1]!]! > ns) {
          order[j] = order[j - 1]!;
          j--;
        }
        order[j] = at;
      }
      this.pCount = count;
      wasm.traceLogClear();
    }
    let k = 0;
    while (k < this.pCount && this.pTime[this.order[k]!]! < untilNs) {
      this.print(k);
      k++;
    }
    if (k > 0) {
      // Keep the rest, now in time order.
      const left = this.pCount - k;
      const t = new Float64Array(left);
      const c = new Float64Array(left);
      const a = new Float64Array(left);
      for (let i = 0; i < left; i++) {
        const r = this.order[k + i]!;
        t[i] = this.pTime[r]!;
        c[i] = this.pCode[r]!;
        a[i] = this.pArg[r]!;
      }
      this.pTime.set(t);
      this.pCode.set(c);
      this.pArg.set(a);
      for (let i = 0; i < left; i++) this.order[i] = i;
      this.pCount = left;
    }
  }

  /** Whether the record after pending record k at its time is vCPU v's kick from its hrtimer callback. */
  private kickFollows(k: number, v: number): boolean {
    const order = this.order;
    const ns = this.pTime[order[k]!]!;
    for (let j = k + 1; j < this.pCount && this.pTime[order[j]!] === ns; j++) {
      const r = order[j]!;
      const code = this.pCode[r]!;
      if ((code & VCPU_BITS) !== v) continue;
      const kind = code >>> 24;
      return isCallbackKick(kind, this.pArg[r]!);
    }
    return false;
  }

  private print(k: number): void {
    const r = this.order[k]!;
    const ns = this.pTime[r]!;
    const code = this.pCode[r]!;
    const arg = this.pArg[r]!;
    const out = this.out;
    const v = code & VCPU_BITS;
    const kind = code >>> 24;
    const t = this.vcpuText(v);
    const pendingExit = this.expireExitAt[v]! >= 0;
    // The callback's own kick (waking, or an exit from guest mode) comes before its expire_exit.
    const kickOfCallback = pendingExit && ns === this.expireExitAt[v] && isCallbackKick(kind, arg);
    if (pendingExit && !kickOfCallback) this.expireExit(v, t, this.expireTask[v] === 1);
    switch (kind) {
      case K.Exit:
        this.head(t.t1, ns);
        out.bytes(t.exit[arg]!);
        break;
      case K.Entry:
        this.head(t.t1, ns);
        out.bytes(t.entry);
        break;
      case K.WaitLapicExpire:
        this.head(t.t1, ns);
        out.bytes(t.wait);
        out.int(arg);
        out.bytes(arg < 0 ? T.early : T.late);
        break;
      case K.HrtimerStart:
        this.head(t.t1, ns);
        out.bytes(t.hrStart);
        out.uint(arg);
        out.bytes(T.softexpires);
        out.uint(arg);
        out.bytes(T.modeAbs);
        break;
      case K.HrtimerCancel:
        this.head(t.t1, ns);
        out.bytes(t.hrCancel);
        break;
      case K.HrtimerExpire:
        this.head(arg === 1 ? t.tH : t.iH, ns);
        out.bytes(t.hrEntry);
        out.uint(ns);
        out.byte(10);
        this.expireExitAt[v] = ns;
        this.expireTask[v] = arg === 1 ? 1 : 0;
        // hrtimer_expire_exit follows the callback's kick, if it made one.
        if (!this.kickFollows(k, v)) this.expireExit(v, t, arg === 1);
        return;
      case K.Waking:
        this.head(t.iW, ns);
        out.bytes(t.waking);
        break;
      case K.SwitchOut:
        this.head(t.tS, ns);
        out.bytes(t.switchOut);
        break;
      case K.SwitchIn:
        if (arg >= 0) {
          this.head(t.iS, ns);
          out.bytes(t.switchIn);
          this.head(t.tU, ns);
          out.bytes(t.wakeupWait);
          out.uint(arg);
        } else {
          this.head(t.tU, ns);
          out.bytes(t.wakeupPoll);
          out.uint(-arg);
        }
        out.bytes(T.nsValid);
        break;
      case K.HvTimerState:
        this.head(t.t1, ns);
        out.bytes(t.hv[arg === 1 ? 1 : 0]);
        break;
      default:
        return;
    }
    if (kickOfCallback) this.expireExit(v, t, this.expireTask[v] === 1);
  }


  /** Drains what is left, writes the pending lines and closes the file; returns the bytes written. */
  finish(): number {
    this.drain(Number.POSITIVE_INFINITY);
    this.expireExitAt.forEach((at, v) => {
      if (at >= 0) this.expireExit(v, this.vcpuText(v), this.expireTask[v] === 1);
    });
    this.out.flush();
    closeSync(this.fd);
    return this.out.written;
  }
}
