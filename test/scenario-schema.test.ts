import { describe, expect, test } from "vitest";
import { validateScenario } from "../src/scenario/schema.js";
import { ScenarioError, formatIssue, type ScenarioIssue } from "../src/scenario/errors.js";
import { DEFAULT_HOST_DELAYS } from "../src/scenario/delays.js";
import type { DelayDist } from "../src/scenario/types.js";

function failure(raw: unknown): ScenarioError {
  try {
    validateScenario(raw);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

function onlyIssue(raw: unknown): ScenarioIssue {
  const err = failure(raw);
  expect(err.issues).toHaveLength(1);
  return err.issues[0]!;
}

const hrtimer = (dist: unknown): unknown => ({ host: { delays: { hrtimer: dist } } });

describe("defaults", () => {
  test("an empty object is a complete scenario: one VM, one vCPU, cyclictest 1 ms, mainline", () => {
    expect(validateScenario({})).toEqual({
      name: "scenario",
      description: "",
      seed: 1,
      durationNs: 2_000_000_000,
      host: {
        vendor: "vmx",
        tscKhz: 2_994_000,
        preemptionTimerRate: 5,
        hz: 1000,
        delays: {
          hrtimer: { dist: "lognormal", medianNs: 1500, p99Ns: 6000 },
          wakeup: { dist: "lognormal", medianNs: 4000, p99Ns: 20000 },
          vmExit: { dist: "lognormal", medianNs: 250, p99Ns: 700 },
          vmEntry: { dist: "lognormal", medianNs: 250, p99Ns: 700 },
          irqDispatch: { dist: "lognormal", medianNs: 150, p99Ns: 400 },
          msrExit: { dist: "lognormal", medianNs: 800, p99Ns: 2500 },
          cpuIdleExit: { dist: "lognormal", medianNs: 1000, p99Ns: 4000 },
        },
        stalls: null,
        // No host scheduler: a CPU per vCPU (docs/host-model.md).
        cpus: null,
        sched: { latencyNs: 6_000_000, minGranularityNs: 750_000, wakeupGranularityNs: 1_000_000, pollYieldNs: 100 },
        load: [],
        outer: null,
      },
      kvm: {
        era: "mainline",
        timerAdvance: { kind: "adaptive" },
        hvTimer: true,
        apicv: true,
        minTimerPeriodUs: 200,
        tscTolerancePpm: 250,
        apicBusCycleNs: 1,
        periodicNegativeDelta: null,
        advanceOneshot: false,
        lazyTscDeadline: false,
        pvDeadline: false,
        postedTimerInterrupts: false,
        haltPoll: { maxNs: 200_000, grow: 2, growStartNs: 10_000, shrink: 0, dynamic: true, maxStealPercent: null },
      },
      vms: [{ name: "vm0", vcpus: 1, tscKhz: 2_994_000, tscDeadline: true, pollControl: true, pauses: [], migrations: [], disableExits: [], workload: { kind: "cyclictest", intervalNs: 1_000_000, loops: 0, printSummary: false, deadlineMsr: "tsc", workNs: 0, idle: "halt" }, pin: "spread" }],
    });
  });

  test("every documented delay default is lognormal", () => {
    for (const d of Object.values(DEFAULT_HOST_DELAYS)) expect(d.dist).toBe("lognormal");
  });

  test("a VM's tscKhz defaults to the host's, VM names to vm<i>", () => {
    const c = validateScenario({ host: { tscKhz: "3GHz" }, vms: [{}, { name: "b", tscKhz: "2.1GHz" }, {}] });
    expect(c.vms.map((v) => [v.name, v.tscKhz])).toEqual([
      ["vm0", 3_000_000],
      ["b", 2_100_000],
      ["vm2", 3_000_000],
    ]);
  });

  test.each([
    [{ kind: "tscdeadline-latency" }, { kind: "tscdeadline-latency", deltaCycles: 200000, size: 10000, breakmaxCycles: 0, printLatencies: false, idle: "halt" }],
    [{ kind: "cyclictest" }, { kind: "cyclictest", intervalNs: 1_000_000, loops: 0, printSummary: false, deadlineMsr: "tsc", workNs: 0, idle: "halt" }],
    [{ kind: "periodic" }, { kind: "periodic", tmict: 1_000_000, tdcr: 0xb, wait: "hlt" }],
    [{ kind: "oneshot" }, { kind: "oneshot", tmict: 1_000_000, tdcr: 0xb, gapNs: 0, wait: "hlt" }],
    [{ kind: "periodic", tmict: "0x999999", tdcr: "0xA" }, { kind: "periodic", tmict: 0x999999, tdcr: 0xa, wait: "hlt" }],
    [{ kind: "oneshot", tmict: 65536, tdcr: 0, gap: "5us" }, { kind: "oneshot", tmict: 65536, tdcr: 0, gapNs: 5000, wait: "hlt" }],
    [{ kind: "tscdeadline-latency", delta: 100000, size: 50, breakmax: 9000, printLatencies: true }, { kind: "tscdeadline-latency", deltaCycles: 100000, size: 50, breakmaxCycles: 9000, printLatencies: true, idle: "halt" }],
    [{ kind: "cyclictest", interval: "200us", loops: 1000, printSummary: true }, { kind: "cyclictest", intervalNs: 200_000, loops: 1000, printSummary: true, deadlineMsr: "tsc", workNs: 0, idle: "halt" }],
  ])("workload %j -> %j", (workload, expected) => {
    expect(validateScenario({ vms: [{ workload }] }).vms[0]!.workload).toEqual(expected);
  });
});

describe("unit normalisation", () => {
  test.each([
    ["2s", 2_000_000_000],
    ["1.5ms", 1_500_000],
    ["200us", 200_000],
    ["200µs", 200_000],
    ["1000ns", 1000],
    [1234, 1234],
    ["1234", 1234],
  ])("duration %j -> %i ns", (duration, ns) => {
    expect(validateScenario({ duration }).durationNs).toBe(ns);
  });

  test.each([
    ["2.1GHz", 2_100_000],
    ["2994MHz", 2_994_000],
    ["2100000kHz", 2_100_000],
    ["3000000000Hz", 3_000_000],
    [2_500_000, 2_500_000],
  ])("frequency %j -> %i kHz", (tscKhz, khz) => {
    expect(validateScenario({ host: { tscKhz }, vms: [{ tscKhz }] }).host.tscKhz).toBe(khz);
  });

  test("stalls -> everyNs/lengthNs", () => {
    expect(validateScenario({ host: { stalls: { every: "1s", length: "210us" } } }).host.stalls).toEqual({ everyNs: 1_000_000_000, lengthNs: 210_000 });
  });

  test.each([
    ["adaptive", { kind: "adaptive" }],
    ["off", { kind: "off" }],
    ["1us", { kind: "fixed", ns: 1000 }],
    [2500, { kind: "fixed", ns: 2500 }],
    [0, { kind: "off" }],
  ])("kvm.timerAdvance %j -> %j (era v5.4)", (timerAdvance, expected) => {
    expect(validateScenario({ kvm: { era: "v5.4", timerAdvance } }).kvm.timerAdvance).toEqual(expected);
  });
});

describe("distributions", () => {
  test.each<[unknown, DelayDist]>([
    [{ dist: "fixed", value: "300ns" }, { dist: "fixed", valueNs: 300 }],
    [{ dist: "fixed", value: 0 }, { dist: "fixed", valueNs: 0 }],
    [{ dist: "uniform", min: "1us", max: "3us" }, { dist: "uniform", minNs: 1000, maxNs: 3000 }],
    [{ dist: "normal", mean: "2us", sd: 500 }, { dist: "normal", meanNs: 2000, sdNs: 500 }],
    [{ dist: "lognormal", median: "1.5us", p99: "6us" }, { dist: "lognormal", medianNs: 1500, p99Ns: 6000 }],
    [{ dist: "lognormal", median: "1us", p99: "1us" }, { dist: "lognormal", medianNs: 1000, p99Ns: 1000 }],
    [{ dist: "empirical", samples: ["1us", 1500, "2.5us"] }, { dist: "empirical", samplesNs: [1000, 1500, 2500] }],
    [
      {
        dist: "mixture",
        parts: [
          { weight: 0.99, dist: "lognormal", median: "1.5us", p99: "6us" },
          { weight: 0.01, dist: "uniform", min: "50us", max: "200us" },
          { weight: 2, dist: "empirical", samples: [1] },
        ],
      },
      {
        dist: "mixture",
        parts: [
          { weight: 0.99, part: { dist: "lognormal", medianNs: 1500, p99Ns: 6000 } },
          { weight: 0.01, part: { dist: "uniform", minNs: 50_000, maxNs: 200_000 } },
          { weight: 2, part: { dist: "empirical", samplesNs: [1] } },
        ],
      },
    ],
  ])("%j", (file, normalised) => {
    const c = validateScenario(hrtimer(file));
    expect(c.host.delays.hrtimer).toEqual(normalised);
    // The other delays keep their defaults.
    expect(c.host.delays.wakeup).toEqual({ dist: "lognormal", medianNs: 4000, p99Ns: 20000 });
  });
});

describe("cross-field rules", () => {
  test("SVM: the hv timer is never used (coerced, no error)", () => {
    expect(validateScenario({ host: { vendor: "svm" }, kvm: { hvTimer: true } }).kvm.hvTimer).toBe(false);
  });

  test("v4.0: no hv timer, advance off by default, fixed allowed, adaptive refused", () => {
    const c = validateScenario({ kvm: { era: "v4.0" } });
    expect(c.kvm.hvTimer).toBe(false);
    expect(c.kvm.timerAdvance).toEqual({ kind: "off" });
    expect(validateScenario({ kvm: { era: "v4.0", timerAdvance: "1us" } }).kvm.timerAdvance).toEqual({ kind: "fixed", ns: 1000 });
    const i = onlyIssue({ kvm: { era: "v4.0", timerAdvance: "adaptive" } });
    expect(i).toMatchObject({ path: "kvm.timerAdvance", value: "adaptive" });
    expect(i.allowed).toContain('"off" or a fixed duration with kvm.era "v4.0"');
  });

  test.each([
    ["v4.0", "off"],
    ["v4.20", "adaptive"],
    ["v5.1", "adaptive"],
    ["v5.4", "adaptive"],
    ["mainline", "adaptive"],
  ])("era %s defaults kvm.timerAdvance to %s", (era, kind) => {
    expect(validateScenario({ kvm: { era } }).kvm.timerAdvance.kind).toBe(kind);
  });

  test.each([["v4.20"], ["mainline"]])("era %s refuses a fixed advance", (era) => {
    const i = onlyIssue({ kvm: { era, timerAdvance: "2us" } });
    expect(i).toMatchObject({ path: "kvm.timerAdvance", value: "2us" });
    expect(i.allowed).toContain('"adaptive" or "off"');
  });

  test("the preemption timer is unusable when (tsc_hz >> rate) > (2^32-1)/10 (spec §6.1)", () => {
    // 5 GHz >> 0 = 5e9 > 429496729: KVM refuses to use it; >> 4 = 312.5e6 is fine.
    expect(validateScenario({ host: { tscKhz: "5GHz", preemptionTimerRate: 0 } }).kvm.hvTimer).toBe(false);
    expect(validateScenario({ host: { tscKhz: "5GHz", preemptionTimerRate: 4 } }).kvm.hvTimer).toBe(true);
    expect(validateScenario({ kvm: { hvTimer: false } }).kvm.hvTimer).toBe(false);
  });

  test("a custom APIC bus cycle is mainline only", () => {
    expect(validateScenario({ kvm: { apicBusCycleNs: 10 } }).kvm.apicBusCycleNs).toBe(10);
    expect(onlyIssue({ kvm: { era: "v5.4", apicBusCycleNs: 10 } })).toMatchObject({ path: "kvm.apicBusCycleNs", value: 10 });
  });

  test("periodic and one-shot workloads do not need the TSC-deadline CPUID bit", () => {
    expect(validateScenario({ vms: [{ tscDeadline: false, workload: { kind: "periodic" } }] }).vms[0]!.tscDeadline).toBe(false);
    expect(validateScenario({ vms: [{ tscDeadline: false, workload: { kind: "oneshot" } }] }).vms[0]!.tscDeadline).toBe(false);
  });

  test("a guest kHz inside the ±250 ppm window validates (no scaling)", () => {
    expect(validateScenario({ host: { tscKhz: 3_000_000 }, vms: [{ tscKhz: 3_000_750 }] }).vms[0]!.tscKhz).toBe(3_000_750);
  });
});

describe("errors name the path, the value and what is allowed", () => {
  test.each<[string, unknown, string, unknown, string]>([
    // [what, raw, path, value, allowed contains]
    ["unknown top-level key", { seeds: 3 }, "seeds", 3, 'did you mean "seed"?'],
    ["unknown host key", { host: { tsckhz: "2GHz" } }, "host.tsckhz", "2GHz", 'did you mean "tscKhz"?'],
    ["unknown delay name", { host: { delays: { vmexit: { dist: "fixed", value: 1 } } } }, "host.delays.vmexit", { dist: "fixed", value: 1 }, 'did you mean "vmExit"?'],
    ["unknown workload key", { vms: [{ workload: { kind: "cyclictest", intreval: "1ms" } }] }, "vms.0.workload.intreval", "1ms", 'did you mean "interval"?'],
    ["key of another workload kind", { vms: [{ workload: { kind: "periodic", interval: "1ms" } }] }, "vms.0.workload.interval", "1ms", "a key of vms.0.workload (kind, tmict, tdcr, wait)"],
    ["unknown distribution key", hrtimer({ dist: "fixed", valeu: 3 }), "host.delays.hrtimer.valeu", 3, 'did you mean "value"?'],
    ["wrong type: string for number", { vms: [{ vcpus: "4" }] }, "vms.0.vcpus", "4", "an integer 1..1,000,000"],
    ["wrong type: number for bool", { kvm: { hvTimer: 1 } }, "kvm.hvTimer", 1, "true or false"],
    ["wrong type: object for duration", { duration: { s: 2 } }, "duration", { s: 2 }, "a duration such as"],
    ["wrong type: array for host", { host: [] }, "host", [], "an object"],
    ["wrong type: vms not a list", { vms: { vcpus: 4 } }, "vms", { vcpus: 4 }, "a non-empty list of VM objects"],
    ["empty vms", { vms: [] }, "vms", [], "a non-empty list"],
    ["out of range: vcpus", { vms: [{ vcpus: 1_000_001 }] }, "vms.0.vcpus", 1_000_001, "an integer 1..1,000,000"],
    ["out of range: seed", { seed: -1 }, "seed", -1, "an integer 0..4,294,967,295"],
    ["not an integer: seed", { seed: 1.5 }, "seed", 1.5, "an integer 0..4,294,967,295"],
    ["out of range: rate", { host: { preemptionTimerRate: 32 } }, "host.preemptionTimerRate", 32, "an integer 0..31"],
    ["out of range: bus cycle", { kvm: { apicBusCycleNs: 33554433 } }, "kvm.apicBusCycleNs", 33554433, "1..33,554,432"],
    ["out of range: HZ", { host: { hz: 200 } }, "host.hz", 200, "one of 100, 250, 300, 1000"],
    ["out of range: tdlatency size", { vms: [{ workload: { kind: "tscdeadline-latency", size: 10001 } }] }, "vms.0.workload.size", 10001, "1..10000"],
    ["zero interval", { vms: [{ workload: { kind: "cyclictest", interval: 0 } }] }, "vms.0.workload.interval", 0, "at least 1 ns"],
    ["bad duration unit", { vms: [{ workload: { kind: "cyclictest", interval: "1xs" } }] }, "vms.0.workload.interval", "1xs", "a duration such as"],
    ["fractional ns", { duration: "1.5ns" }, "duration", "1.5ns", "a whole number of ns"],
    ["zero duration", { duration: 0 }, "duration", 0, "at least 1 ns"],
    ["bad frequency", { host: { tscKhz: "3GHZz" } }, "host.tscKhz", "3GHZz", "a frequency such as"],
    ["zero frequency", { vms: [{ tscKhz: 0 }] }, "vms.0.tscKhz", 0, "1 kHz .. 4294967295 kHz"],
    ["bad enum with suggestion", { host: { vendor: "vxm" } }, "host.vendor", "vxm", 'one of "vmx", "svm"; did you mean "vmx"?'],
    ["bad era", { kvm: { era: "5.4" } }, "kvm.era", "5.4", 'did you mean "v5.4"?'],
    ["bad dist with suggestion", hrtimer({ dist: "lognorm", median: "1us", p99: "2us" }), "host.delays.hrtimer.dist", "lognorm", 'did you mean "lognormal"?'],
    ["missing dist", hrtimer({ value: "1us" }), "host.delays.hrtimer.dist", undefined, 'one of "fixed", "uniform"'],
    ["bad workload kind", { vms: [{ workload: { kind: "cyclictst" } }] }, "vms.0.workload.kind", "cyclictst", 'did you mean "cyclictest"?'],
    ["missing required field", hrtimer({ dist: "lognormal", median: "1us" }), "host.delays.hrtimer.p99", undefined, "a duration"],
    ["uniform min > max", hrtimer({ dist: "uniform", min: "5us", max: "2us" }), "host.delays.hrtimer.max", "2us", "a duration >= min (5000 ns)"],
    ["lognormal p99 < median", hrtimer({ dist: "lognormal", median: "5us", p99: "2us" }), "host.delays.hrtimer.p99", "2us", ">= median"],
    ["lognormal median 0", hrtimer({ dist: "lognormal", median: 0, p99: "2us" }), "host.delays.hrtimer.median", 0, "at least 1 ns"],
    ["empty empirical", hrtimer({ dist: "empirical", samples: [] }), "host.delays.hrtimer.samples", [], "a list of 1..1,000,000 durations"],
    ["bad empirical sample", hrtimer({ dist: "empirical", samples: ["1us", "2 parsecs"] }), "host.delays.hrtimer.samples.1", "2 parsecs", "a duration"],
    ["mixture weight 0", hrtimer({ dist: "mixture", parts: [{ weight: 0, dist: "fixed", value: 1 }] }), "host.delays.hrtimer.parts.0.weight", 0, "a finite number > 0"],
    ["nested mixture", hrtimer({ dist: "mixture", parts: [{ weight: 1, dist: "mixture", parts: [] }] }), "host.delays.hrtimer.parts.0.dist", "mixture", 'one of "fixed", "uniform", "normal", "lognormal", "empirical"'],
    ["empty mixture", hrtimer({ dist: "mixture", parts: [] }), "host.delays.hrtimer.parts", [], "a non-empty list of parts"],
    ["stall longer than its period", { host: { stalls: { every: "1ms", length: "2ms" } } }, "host.stalls.length", "2ms", "shorter than every (1000000 ns)"],
    ["bad register", { vms: [{ workload: { kind: "periodic", tmict: "0x1_0000_0000" } }] }, "vms.0.workload.tmict", "0x1_0000_0000", "a 32-bit register value"],
    ["tmict 0", { vms: [{ workload: { kind: "periodic", tmict: 0 } }] }, "vms.0.workload.tmict", 0, "at least 1"],
    ["bad timerAdvance", { kvm: { timerAdvance: "auto" } }, "kvm.timerAdvance", "auto", '"adaptive", "off", or a fixed duration'],
    ["timerAdvance beyond u32", { kvm: { era: "v5.4", timerAdvance: "5s" } }, "kvm.timerAdvance", "5s", "timer_advance_ns is a u32"],
    ["KVM-refused guest kHz (SVM ratio cap)", { host: { vendor: "svm" }, vms: [{}, { tscKhz: "800GHz" }] }, "vms.1.tscKhz", "800GHz", "KVM refuses 800000000 kHz (-EINVAL): must be below max_guest_tsc_khz = 766463999"],
    ["KVM-refused guest kHz (VMX, 1 kHz host)", { host: { tscKhz: "1kHz" }, vms: [{ tscKhz: "3GHz" }] }, "vms.0.tscKhz", "3GHz", "KVM refuses 3000000 kHz (-EINVAL)"],
    ["TSC-deadline workload without the CPUID bit", { vms: [{ tscDeadline: false, workload: { kind: "tscdeadline-latency" } }] }, "vms.0.tscDeadline", false, 'true for workload kind "tscdeadline-latency"'],
    ["duplicate VM names", { vms: [{ name: "a" }, { name: "a" }] }, "vms.1.name", "a", 'a name no other VM has (vms.0 is named "a")'],
    ["not an object", 42, "", 42, "a JSON object"],
  ])("%s", (_what, raw, path, value, allowed) => {
    const err = failure(raw);
    const issue = err.issues.find((i) => i.path === path);
    expect(issue, `issues: ${JSON.stringify(err.issues)}`).toBeDefined();
    expect(issue!.value).toEqual(value);
    expect(issue!.allowed).toContain(allowed);
    // The message carries the same line: path, value (as JSON) and what is allowed.
    const line = formatIssue(issue!);
    expect(err.message).toContain(line);
    if (path !== "") expect(line.startsWith(path)).toBe(true);
    expect(line).toContain(value === undefined ? "is missing" : JSON.stringify(value));
    expect(line).toContain(allowed);
    expect(line).not.toContain("\n");
  });

  test("every problem is reported, one per line", () => {
    const err = failure({ seed: "x", host: { vendor: "arm", tsckhz: 1 }, vms: [{ vcpus: 0 }] });
    expect(err.issues.map((i) => i.path).sort()).toEqual(["host.tsckhz", "host.vendor", "seed", "vms.0.vcpus"]);
    const lines = err.message.split("\n");
    expect(lines[0]).toBe("invalid scenario: 4 problems");
    expect(lines).toHaveLength(5);
  });

  test("a single problem is a single line, labelled with its source", () => {
    try {
      validateScenario({ vms: [{ vcpus: 0 }] }, "my.json");
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toBe("invalid scenario (my.json): vms.0.vcpus = 0: too small; allowed an integer 1..1,000,000");
    }
  });

  test("an unknown key reads as such", () => {
    expect(failure({ host: { tsckhz: "2GHz" } }).message).toBe(
      'invalid scenario: host.tsckhz = "2GHz": unknown key; allowed a key of host (vendor, tscKhz, preemptionTimerRate, hz, delays, stalls, cpus, sched, load, outer); did you mean "tscKhz"?',
    );
  });
});

test("a guest rate whose kvmclock rate rounds to 0 kHz is refused (spec §3.4: kvm_get_time_scale would never terminate)", () => {
  let err: unknown;
  try {
    validateScenario({ host: { tscKhz: "2.3GHz" }, vms: [{ tscKhz: 1 }] });
  } catch (e) {
    err = e;
  }
  expect((err as Error).message).toMatch(/vms\.0\.tscKhz = 1: allowed a rate whose kvmclock rate/);
  expect(() => validateScenario({ host: { tscKhz: "2.3GHz" }, vms: [{ tscKhz: 1000 }] })).not.toThrow();
});
