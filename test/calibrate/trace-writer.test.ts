// `tscsim run --trace`: the lines in the tracepoints' formats, in time order, filtered by
// vCPU and window; the trace does not change the run's result.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../../src/scenario/load.js";
import { runScenario } from "../../src/sim/run.js";
import { runTraced, traceRequest } from "../../src/trace/cli-options.js";
import { LineKind, newEventLine, parseLine } from "../../src/calibrate/line-parse.js";
import { renderJson } from "../../src/report/index.js";
import { InputRangeError } from "../../src/errors.js";
import { tscsim } from "../cli.js";

const dir = mkdtempSync(join(tmpdir(), "tscsim-tw-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SETS = ["duration=3ms", "vms.0.vcpus=2", "vms.0.workload.printSummary=false", "kvm.haltPoll.max=0"];

function trace(sets: string[], opts: { vcpus?: string; window?: string; ns?: boolean } = {}) {
  const config = loadScenario("cyclictest", [...SETS, ...sets]);
  const file = join(dir, `t${Math.random().toString(36).slice(2)}.txt`);
  const run = runTraced(config, { engine: "auto" }, traceRequest({ trace: file, traceVcpus: opts.vcpus, traceWindow: opts.window, traceNs: opts.ns }, config)!);
  return { run, config, lines: readFileSync(file, "latin1").split("\n").filter((l) => l !== "") };
}

// Each event's fields as its TP_printk writes them (numbers as \d+).
const FORMATS: Record<string, RegExp> = {
  kvm_exit: /^vcpu \d+ reason (EXTERNAL_INTERRUPT|HLT|MSR_WRITE|APIC_WRITE|PREEMPTION_TIMER) rip 0x[0-9a-f]+ info1 0x[0-9a-f]{16} info2 0x[0-9a-f]{16} intr_info 0x[0-9a-f]{8} error_code 0x[0-9a-f]{8}$/,
  kvm_entry: /^vcpu \d+, rip 0x[0-9a-f]+$/,
  kvm_wait_lapic_expire: /^vcpu \d+: delta -?\d+ \((early|late)\)$/,
  kvm_hv_timer_state: /^vcpu_id [0-9a-f]+ hv_timer [01]$/,
  hrtimer_start: /^hrtimer=0x[0-9a-f]{16} function=apic_timer_fn expires=\d+ softexpires=\d+ mode=ABS\|HARD$/,
  hrtimer_cancel: /^hrtimer=0x[0-9a-f]{16}$/,
  hrtimer_expire_entry: /^hrtimer=0x[0-9a-f]{16} function=apic_timer_fn now=\d+$/,
  hrtimer_expire_exit: /^hrtimer=0x[0-9a-f]{16}$/,
  sched_waking: /^comm=CPU \d+\/KVM pid=\d+ prio=120 target_cpu=\d{3}$/,
  sched_switch: /^prev_comm=(CPU \d+\/KVM|swapper\/\d+) prev_pid=\d+ prev_prio=120 prev_state=[SR] ==> next_comm=(CPU \d+\/KVM|swapper\/\d+) next_pid=\d+ next_prio=120$/,
  kvm_vcpu_wakeup: /^(wait|poll) time \d+ ns, polling valid$/,
};

describe("tscsim run --trace", () => {
  test("every line is a trace-cmd report line of a known event in its TP_printk format, in time order", () => {
    const { lines } = trace([]);
    expect(lines[0]).toBe("cpus=2");
    const e = newEventLine();
    let last = 0;
    const seen = new Set<string>();
    for (const line of lines.slice(1)) {
      expect(parseLine(line, e), line).toBe(LineKind.Event);
      const name = /^\s*\S.*? \[\d{3}\] \S{5} \d+\.\d{6}: (\w+):/.exec(line)![1]!;
      expect(FORMATS[name], name).toBeDefined();
      expect(line.slice(e.fields), line).toMatch(FORMATS[name]!);
      expect(e.tsNs).toBeGreaterThanOrEqual(last);
      expect(e.resNs).toBe(1000);
      expect([4242, 4243, 0]).toContain(e.pid);
      last = e.tsNs;
      seen.add(name);
    }
    for (const ev of ["kvm_exit", "kvm_entry", "hrtimer_start", "hrtimer_expire_entry", "hrtimer_expire_exit", "sched_waking", "sched_switch", "kvm_vcpu_wakeup", "kvm_hv_timer_state", "kvm_wait_lapic_expire"]) expect(seen, ev).toContain(ev);
  });

  test("a golden excerpt: one vCPU's first timer interrupt", () => {
    const { lines } = trace(["vms.0.vcpus=1"], { ns: true });
    const expire = lines.findIndex((l) => l.includes("hrtimer_expire_entry"));
    const excerpt = lines.slice(expire, expire + 7).map((l) => l.replace(/^\s+/, ""));
    expect(excerpt.map((l) => l.replace(/ \d+\.\d{9}: /, " T: ").replace(/now=\d+/, "now=N"))).toEqual([
      "<idle>-0     [000] d.h1. T: hrtimer_expire_entry: hrtimer=0xffff8881100001a8 function=apic_timer_fn now=N",
      "<idle>-0     [000] d.h2. T: sched_waking:         comm=CPU 0/KVM pid=4242 prio=120 target_cpu=000",
      "<idle>-0     [000] d.h1. T: hrtimer_expire_exit:  hrtimer=0xffff8881100001a8",
      "<idle>-0     [000] d..2. T: sched_switch:         prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=CPU 0/KVM next_pid=4242 next_prio=120",
      expect.stringMatching(/^CPU 0\/KVM-4242 {2}\[000\] \.\.\.1\. T: kvm_vcpu_wakeup: {6}wait time \d+ ns, polling valid$/),
      "CPU 0/KVM-4242  [000] d..1. T: kvm_entry:            vcpu 0, rip 0xffffffff81b2f1ee",
      expect.stringMatching(/^CPU 0\/KVM-4242 {2}\[000\] d\.\.1\. T: kvm_wait_lapic_expire: vcpu 0: delta -?\d+ \((early|late)\)$/),
    ]);
    // The hrtimer line's now= is its timestamp in ns.
    const e = newEventLine();
    parseLine(lines[expire]!, e);
    expect(lines[expire]).toContain(`now=${e.tsNs}`);
  });

  test("--trace-vcpus and --trace-window keep only those vCPUs and that span", () => {
    const { lines } = trace([], { vcpus: "1", window: "1ms..2ms" });
    const e = newEventLine();
    for (const line of lines.slice(1)) {
      parseLine(line, e);
      expect(e.cpu).toBe(1);
      expect(e.tsNs).toBeGreaterThanOrEqual(1_001_000_000);
      expect(e.tsNs).toBeLessThan(1_002_000_000);
    }
    expect(lines.length).toBeGreaterThan(10);
  });

  test("tracing changes no result", () => {
    const { run, config } = trace(["vms.0.vcpus=3", "duration=20ms"]);
    expect(renderJson(run.result, { includeWallMs: false })).toBe(renderJson(runScenario(config).result, { includeWallMs: false }));
  });

  test("bad options name the option", () => {
    const config = loadScenario("cyclictest", SETS);
    expect(() => traceRequest({ trace: "x", traceVcpus: "5" }, config)).toThrow(InputRangeError);
    expect(() => traceRequest({ trace: "x", traceVcpus: "0:9" }, config)).toThrow(/--trace-vcpus/);
    expect(() => traceRequest({ trace: "x", traceWindow: "2ms..1ms" }, config)).toThrow(/--trace-window/);
    expect(() => traceRequest({ traceNs: true }, config)).toThrow(/--trace/);
    const r = tscsim("run", "cyclictest", "--trace", join(dir, "no-such-dir", "t.txt"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tscsim: --trace = .*a writable file path/);
  });

  // One model, two engines: the TypeScript state machine writes the same trace points,
  // for cyclictest's backends and paths, the TSC-deadline workloads and the deadline proposals.
  test.each([
    ["hrtimer backend", "cyclictest", [...SETS, "kvm.hvTimer=false"], 100],
    ["hv timer, halt polling", "cyclictest", [...SETS, "kvm.haltPoll.max=50us"], 100],
    ["SVM", "cyclictest", [...SETS, "host.vendor=svm"], 100],
    ["host stalls", "cyclictest", [...SETS, "host.stalls.every=700us", "host.stalls.length=90us"], 100],
    ["v4.20 tuning, no APICv", "cyclictest", [...SETS, "kvm.era=v4.20", "kvm.timerAdvance=adaptive", "kvm.apicv=false"], 100],
    ["shared host CPUs, halt polling", "cyclictest", [...SETS, "host.cpus=1", "kvm.haltPoll.max=50us", "vms.0.workload.work=30us"], 100],
    ["tscdeadline-latency", "tscdeadline-latency", ["duration=3ms", "vms.0.vcpus=2"], 20],
    ["rearm-storm, lazy TSC-deadline (s15)", "s15-lazy-tscdeadline", ["duration=3ms"], 20],
    ["rearm-storm, lazy TSC-deadline on the hrtimer", "s15-lazy-tscdeadline", ["duration=3ms", "kvm.hvTimer=false"], 20],
    ["cyclictest on the PV MSR", "cyclictest", [...SETS, "kvm.pvDeadline=true", "vms.0.workload.deadlineMsr=pv", "vms.0.workload.interval=200us"], 20],
  ] as const)("both engines write the same trace: %s", (_name, preset, sets, minLines) => {
    const config = loadScenario(preset, [...sets]);
    const texts = (["wasm", "ts"] as const).map((engine) => {
      const file = join(dir, `e-${engine}.txt`);
      runTraced(config, { engine }, traceRequest({ trace: file, traceNs: true }, config)!);
      return readFileSync(file, "latin1");
    });
    expect(texts[0]!.split("\n").length).toBeGreaterThan(minLines);
    expect(texts[1]).toBe(texts[0]);
  });

  test("workloads only the TypeScript engine runs are traced too", () => {
    const config = loadScenario("s14-oneshot-vs-deadline", ["duration=2ms"]);
    const file = join(dir, "tl.txt");
    runTraced(config, { engine: "auto" }, traceRequest({ trace: file }, config)!);
    const text = readFileSync(file, "latin1");
    expect(text).toContain("kvm_exit:             vcpu 0 reason MSR_WRITE");
    expect(text).toContain("hrtimer_expire_entry:");
  });
});
