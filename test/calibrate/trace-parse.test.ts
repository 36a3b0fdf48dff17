// The trace reader on hand-written lines in every layout it accepts: trace-cmd report
// (with and without the irq-flags column, µs and ns timestamps), raw ftrace (4- and
// 5-character flags, record-tgid), kvm_exit/kvm_entry of kernels 4.x–6.x, VMX and SVM
// reason names, libtraceevent's sched plugin forms, other events, several VMs, CPU
// migrations, lost-events markers, a truncated last line, and malformed lines.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { LineKind, newEventLine, parseLine } from "../../src/calibrate/line-parse.js";
import { DelayEstimator } from "../../src/calibrate/estimator.js";
import { TraceFormatError, readTraces } from "../../src/calibrate/trace-reader.js";
import { tscsim } from "../cli.js";

const dir = mkdtempSync(join(tmpdir(), "tscsim-parse-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const f = join(dir, `t${n++}.txt`);
  writeFileSync(f, text);
  return f;
}
function estimate(text: string): { est: DelayEstimator; stats: ReturnType<typeof readTraces> } {
  const est = new DelayEstimator(1000);
  const stats = readTraces([file(text)], est);
  return { est, stats };
}
const sorted = (est: DelayEstimator, d: keyof DelayEstimator["samples"]) => Array.from(est.samples[d].sorted());

describe("line prefixes", () => {
  test.each([
    ["trace-cmd report", "       CPU 0/KVM-4242  [002]  1234.567890: kvm_entry:            vcpu 0, rip 0xffffffff81b2f1ee", 4242, 2, 1234567890000, 1000],
    ["trace-cmd 3.x flags", "       CPU 0/KVM-4242  [002] d..1. 1234.567890: kvm_entry: vcpu 0", 4242, 2, 1234567890000, 1000],
    ["raw ftrace, 4 flags", "       CPU 12/KVM-31337 [013] d..1  98.000001: kvm_entry: vcpu 12", 31337, 13, 98000001000, 1000],
    ["record-tgid", "       CPU 0/KVM-4242  (   4240) [002] d..1. 1234.567890: kvm_entry: vcpu 0", 4242, 2, 1234567890000, 1000],
    ["ns timestamps (report -t)", "          <idle>-0     [005] d.h1. 77.123456789: hrtimer_expire_entry: hrtimer=0xffff8881100001a8 function=apic_timer_fn now=77123456000", 0, 5, 77123456789, 1],
    ["dashes in the task name", "   kworker/u8:2-foo-bar-17 [000] .... 5.000000: workqueue_execute_start: work struct 0x0", 17, 0, 5000000000, 1000],
  ])("%s", (_name, line, pid, cpu, tsNs, resNs) => {
    const e = newEventLine();
    expect(parseLine(line, e)).toBe(LineKind.Event);
    expect([e.pid, e.cpu, e.tsNs, e.resNs]).toEqual([pid, cpu, tsNs, resNs]);
  });

  test.each([
    ["blank", "", LineKind.Skip],
    ["comment", "# tracer: nop", LineKind.Skip],
    ["trace-cmd header", "cpus=8", LineKind.Skip],
    ["trace-cmd version", "version = 6", LineKind.Skip],
    ["empty CPU", "CPU 3 is empty", LineKind.Skip],
    ["stack line", " => apic_timer_fn", LineKind.Skip],
    ["ftrace lost events", "CPU:2 [LOST 17 EVENTS]", LineKind.Lost],
    ["garbage", "hello world", LineKind.Malformed],
    ["bad timestamp", "       CPU 0/KVM-4242  [002] d..1. 12x4.5: kvm_entry: vcpu 0", LineKind.Malformed],
    ["flags too wide", "       CPU 0/KVM-4242  [002] d..1.xx 1234.567890: kvm_entry: vcpu 0", LineKind.Malformed],
    ["no event name", "       CPU 0/KVM-4242  [002] d..1. 1234.567890:", LineKind.Malformed],
  ])("%s", (_name, line, kind) => {
    expect(parseLine(line, newEventLine())).toBe(kind);
  });
});

describe("delays from events", () => {
  test("msrExit from kvm_exit MSR_WRITE → kvm_entry, kernels 4.x to 6.x, VMX and SVM names", () => {
    const { est } = estimate(
      [
        // 6.x: vcpu, info1/info2/intr_info/error_code; ns timestamps
        "       CPU 0/KVM-4242  [000] d..1. 10.000000000: kvm_exit: vcpu 0 reason MSR_WRITE rip 0xffffffff8107e244 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000",
        "       CPU 0/KVM-4242  [000] d..1. 10.000001200: kvm_entry: vcpu 0, rip 0xffffffff8107e246",
        // 4.x: "reason %s rip 0x%lx info %llx %llx", entry "vcpu %u"
        "       CPU 1/KVM-4243  [001] d..1 10.000002000: kvm_exit: reason MSR_WRITE rip 0xffffffff8107e244 info 0 0",
        "       CPU 1/KVM-4243  [001] d..1 10.000004000: kvm_entry: vcpu 1",
        // no rip at all
        "       CPU 1/KVM-4243  [001] d..1 10.000010000: kvm_exit: reason MSR_WRITE",
        "       CPU 1/KVM-4243  [001] d..1 10.000010900: kvm_entry: vcpu 1",
        // SVM, lower case: msr with info1 1 is a write, 0 a read (not counted)
        "       CPU 0/KVM-5000  [004] d..1. 10.000020000: kvm_exit: vcpu 0 reason msr rip 0xffffffff8107e244 info1 0x0000000000000001 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000",
        "       CPU 0/KVM-5000  [004] d..1. 10.000021500: kvm_entry: vcpu 0, rip 0xffffffff8107e246",
        "       CPU 0/KVM-5000  [004] d..1. 10.000030000: kvm_exit: vcpu 0 reason msr rip 0xffffffff8107e244 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000",
        "       CPU 0/KVM-5000  [004] d..1. 10.000039000: kvm_entry: vcpu 0, rip 0xffffffff8107e246",
        // a WRMSR of another MSR (kvm_msr names it) is not the timer's
        "       CPU 0/KVM-4242  [000] d..1. 10.000050000: kvm_exit: vcpu 0 reason MSR_WRITE rip 0xffffffff8107e244 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000",
        "       CPU 0/KVM-4242  [000] d..1. 10.000050100: kvm_msr: msr_write 830 = 0xec",
        "       CPU 0/KVM-4242  [000] d..1. 10.000059000: kvm_entry: vcpu 0, rip 0xffffffff8107e246",
        "",
      ].join("\n"),
    );
    expect(sorted(est, "msrExit")).toEqual([900, 1200, 1500, 2000]);
    expect(est.exitHandling.get("MSR_READ")!.seen).toBe(1);
  });

  test("hrtimer from expires= → now=, only for apic_timer_fn, paired by address (hashed pointers too), cancel drops it", () => {
    const { est } = estimate(
      [
        "       CPU 0/KVM-4242  [000] d..1. 10.000000: hrtimer_start: hrtimer=0xffff8881100001a8 function=apic_timer_fn expires=10000200000 softexpires=10000200000 mode=ABS|HARD",
        "       CPU 0/KVM-4242  [000] d..1. 10.000000: hrtimer_start: hrtimer=0xffff888110000fff function=tick_sched_timer expires=10000100000 softexpires=10000100000 mode=ABS",
        // 4.x without mode=; raw ftrace's hashed pointer
        "       CPU 1/KVM-4243  [001] d..1 10.000000: hrtimer_start: hrtimer=00000000a1b2c3d4 function=apic_timer_fn expires=10000300000 softexpires=10000300000",
        "          <idle>-0     [000] d.h1. 10.000201: hrtimer_expire_entry: hrtimer=0xffff8881100001a8 function=apic_timer_fn now=10000201500",
        "          <idle>-0     [000] d.h1. 10.000101: hrtimer_expire_entry: hrtimer=0xffff888110000fff function=tick_sched_timer now=10000100100",
        // libtraceevent's hrtimer plugin order: now= before function=
        "          <idle>-0     [001] d.h1 10.000302: hrtimer_expire_entry: hrtimer=00000000a1b2c3d4 now=10000302000 function=apic_timer_fn",
        "       CPU 0/KVM-4242  [000] d..1. 10.000400: hrtimer_start: hrtimer=0xffff8881100001a8 function=apic_timer_fn expires=10000500000 softexpires=10000500000 mode=ABS|HARD",
        "       CPU 0/KVM-4242  [000] d..1. 10.000401: hrtimer_cancel: hrtimer=0xffff8881100001a8",
        "          <idle>-0     [000] d.h1. 10.000501: hrtimer_expire_entry: hrtimer=0xffff8881100001a8 function=apic_timer_fn now=10000501000",
        "",
      ].join("\n"),
    );
    expect(sorted(est, "hrtimer")).toEqual([1500, 2000]);
  });

  test("wakeup, vmExit and vmEntry of vCPU threads; several VMs, a CPU migration, the sched plugin's form, other events", () => {
    const { est } = estimate(
      [
        // VM A's vCPU 0 (pid 4242) and VM B's vCPU 0 (pid 5000), both "CPU 0/KVM"
        "       CPU 0/KVM-4242  [002] d..1. 20.000000000: kvm_exit: vcpu 0 reason HLT rip 0xffffffff81b2f1ec info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000",
        "       CPU 0/KVM-5000  [003] d..1. 20.000000100: kvm_exit: vcpu 0 reason HLT rip 0xffffffff81b2f1ec info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000",
        "          <idle>-0     [005] d.h.. 20.000000150: irq_handler_entry: irq=24 name=eth0",
        "       CPU 0/KVM-4242  [002] d..2. 20.000000300: sched_switch: prev_comm=CPU 0/KVM prev_pid=4242 prev_prio=120 prev_state=S ==> next_comm=swapper/2 next_pid=0 next_prio=120",
        "       CPU 0/KVM-5000  [003] d..2. 20.000000500: sched_switch: CPU 0/KVM:5000 [120] S ==> swapper/3:0 [120]",
        "          <idle>-0     [002] d.h2. 20.000100000: sched_waking: comm=CPU 0/KVM pid=4242 prio=120 target_cpu=002",
        "          <idle>-0     [003] d.h2. 20.000200000: sched_waking: comm=CPU 0/KVM pid=5000 prio=120 target_cpu=003",
        // pid 4242 wakes up on another CPU (migrated)
        "          <idle>-0     [006] d..2. 20.000104000: sched_switch: prev_comm=swapper/6 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=CPU 0/KVM next_pid=4242 next_prio=120",
        "          <idle>-0     [003] d..2. 20.000206000: sched_switch: swapper/3:0 [120] R ==> CPU 0/KVM:5000 [120]",
        "       CPU 0/KVM-4242  [006] ...1. 20.000104100: kvm_vcpu_wakeup: wait time 104000 ns, polling valid",
        "       CPU 0/KVM-4242  [006] d..1. 20.000104400: kvm_entry: vcpu 0, rip 0xffffffff81b2f1ee",
        "       CPU 0/KVM-5000  [003] d..1. 20.000206700: kvm_entry: vcpu 0, rip 0xffffffff81b2f1ee",
        "       CPU 0/KVM-4242  [006] d..1. 20.000104500: kvm_wait_lapic_expire: vcpu 0: delta -1200 (early)",
        "       CPU 0/KVM-5000  [003] d..1. 20.000206800: kvm_wait_lapic_expire: vcpu 0: delta 900 (late)",
        "",
      ].join("\n"),
    );
    expect(sorted(est, "vmExit")).toEqual([300, 400]);
    expect(sorted(est, "wakeup")).toEqual([4000, 6000]);
    expect(sorted(est, "vmEntry")).toEqual([400, 700]);
    expect(Array.from(est.waitDeltaCycles.sorted())).toEqual([-1200, 900]);
    expect(est.vcpuThreads.size).toBe(2);
  });

  test("µs timestamps: intervals are dithered within ± half a µs, and the resolution is recorded", () => {
    const lines: string[] = [];
    for (let i = 0; i < 200; i++) {
      const t = 30 + i * 0.001;
      lines.push(`       CPU 0/KVM-4242  [000] d..1. ${t.toFixed(6)}: kvm_exit: vcpu 0 reason MSR_WRITE rip 0x1`);
      lines.push(`       CPU 0/KVM-4242  [000] d..1. ${(t + 0.000005).toFixed(6)}: kvm_entry: vcpu 0, rip 0x1`);
    }
    const { est } = estimate(`${lines.join("\n")}\n`);
    const s = sorted(est, "msrExit");
    expect(s.length).toBe(200);
    expect(Math.min(...s)).toBeGreaterThanOrEqual(4500);
    expect(Math.max(...s)).toBeLessThanOrEqual(5500);
    expect(est.resNs.msrExit).toBe(1000);
  });

  test("a lost-events marker forgets open intervals", () => {
    const { est } = estimate(
      [
        "       CPU 0/KVM-4242  [000] d..1. 10.000000000: kvm_exit: vcpu 0 reason MSR_WRITE rip 0x1",
        "CPU:0 [LOST 42 EVENTS]",
        "       CPU 0/KVM-4242  [000] d..1. 10.000900000: kvm_entry: vcpu 0, rip 0x1",
        "       CPU 0/KVM-4242  [000] d..1. 10.001000000: kvm_exit: vcpu 0 reason MSR_WRITE rip 0x1",
        "       CPU 0/KVM-4242  [000] d..1. 10.001000800: kvm_entry: vcpu 0, rip 0x1",
        "",
      ].join("\n"),
    );
    expect(est.lostMarkers).toBe(1);
    expect(sorted(est, "msrExit")).toEqual([800]);
  });
});

describe("truncated and malformed input", () => {
  const good = "       CPU 0/KVM-4242  [000] d..1. 10.000000000: kvm_entry: vcpu 0, rip 0x1";
  test("a truncated last line (no newline) is ignored and counted", () => {
    const { stats } = estimate(`cpus=2\n${good}\n       CPU 0/KVM-4242  [000] d..1. 10.0000`);
    expect(stats.truncatedLastLines).toBe(1);
    expect(stats.lines).toBe(3);
  });

  test("CRLF line ends and lines split across read chunks parse", () => {
    const body = Array.from({ length: 80000 }, () => good).join("\r\n"); // 6 MB: past one 4 MB read
    const { stats, est } = estimate(`${body}\r\n`);
    expect(stats.lines).toBe(80000);
    expect(est.events).toBe(80000);
  });

  test.each([
    ["a line that is not an event", `${good}\nhello world\n${good}\n`, 2, /not a trace event line/],
    ["a bad timestamp", `${good}\n${good.replace("10.000000000", "10.0x0")}\n`, 2, /timestamp/],
    ["a known event without its fields", `${good}\n       CPU 0/KVM-4242  [000] d..1. 10.1: kvm_exit: vcpu 0\n`, 2, /kvm_exit without 'reason <name>'/],
    ["hrtimer_expire_entry without now=", `       CPU 0/KVM-4242  [000] d..1. 10.1: hrtimer_expire_entry: hrtimer=0x1 function=apic_timer_fn\n${good}\n`, 1, /now=/],
  ])("%s: one error naming the file and line", (_name, text, line, reason) => {
    const f = file(text);
    let err: unknown;
    try {
      readTraces([f], new DelayEstimator(100));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TraceFormatError);
    expect((err as TraceFormatError).line).toBe(line);
    expect((err as Error).message.startsWith(`${f}:${line}: `)).toBe(true);
    expect((err as Error).message).toMatch(reason);
  });

  test("tscsim fit on a malformed trace: exit 2, one line naming file and line", () => {
    const f = file(`${good}\nhello world\n`);
    const r = tscsim("fit", f);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(`${f}:2:`);
  });
});
