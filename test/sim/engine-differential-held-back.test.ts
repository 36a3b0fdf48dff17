// The wasm engine's held-back events against the TypeScript engine, which queues every
// event (engine-differential.test.ts holds the two engines together in general):
// - a preemption timer held back at a VM entry keeps the host TSC it fires at, and is
//   converted to ns only if it reaches the queue (engine_host.ts reenter);
// - a thread event behind a timer of its own vCPU waits parked in the vCPU's record with
//   a reserved seq (engine_loop.ts flushChain); replaced or cancelled, it is counted as the
//   stale event the TypeScript engine pops; still wanted when the metric log must be
//   drained, it goes into the queue in its place (event_queue.ts queuePushAs);
// - a periodic timer's hrtimer restarted by its callback is held back with a reserved seq
//   (engine_lapic_count.ts countHrtimerRestart): cancelled at the wake-up's entry (the
//   switch to the preemption timer), it is counted as the stale event the TypeScript engine
//   pops; still armed when the chain stops (no preemption timer, the end of the run), it
//   goes into the queue with its seq (engine_chain.ts flushChain);
// - a thread event parks behind the vCPU's next host stall as behind its timers, ordered
//   against it by the stall's seq on a tie (engine_record.ts scheduleStall, STALL_SEQ).
// `events` (the stale pops included), the clock's end value and every metric must match.
// Each fixed case below was checked to fail when the step it names is broken (the count of
// a replaced parked event left out, ties decided without the reserved seq, the late push
// left without its seq); the random properties of engine-differential.test.ts rarely park
// a thread event and then replace it.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { loadScenario } from "../../src/scenario/load.js";
import type { ScenarioConfig, Workload } from "../../src/scenario/types.js";
import { CYCLICTEST, scenario } from "./harness.js";
import { resultOf, viaForwarders } from "./differential-scenarios.js";

const fixed = (valueNs: number) => ({ dist: "fixed" as const, valueNs });
const storm = (intervalNs: number, rewrites: number, spacingNs: number): Workload => ({ kind: "rearm-storm", intervalNs, rewrites, spacingNs });
const periodic = (tmict: number, tdcr: number, wait: "hlt" | "busy"): Workload => ({ kind: "periodic", tmict, tdcr, wait });

/** Both result forms: per-vCPU histograms (every latency logged) and shared ones. */
function expectIdentical(c: ScenarioConfig): void {
  for (const perVcpu of [true, false]) expect(resultOf(c, "wasm", perVcpu)).toBe(resultOf(c, "ts", perVcpu));
}

describe("wasm engine = TypeScript state machine: held-back and parked events", () => {
  // S15 (the workloads bench's rows), its halt poll woken by the timer: the poll's end is
  // parked behind the hrtimer and replaced by the wake-up. Durations end between rewrites,
  // in a poll and in a halt, so the last held-back and parked events straddle the end.
  test.each([
    ["S15", []],
    ["S15 without lazy TSC-deadline", ["kvm.lazyTscDeadline=false"]],
    ["S15 on the hrtimer", ["kvm.hvTimer=false"]],
    ["S15 on the hrtimer without lazy TSC-deadline", ["kvm.lazyTscDeadline=false", "kvm.hvTimer=false"]],
  ])("%s, 3 vCPUs, runs ending at 7 points of a period: identical", (_name, sets) => {
    for (const durationNs of [2_000_000, 2_003_500, 2_010_000, 2_012_700, 2_040_000, 2_101_700, 2_118_000]) {
      expectIdentical(loadScenario("s15-lazy-tscdeadline", ["vms.0.vcpus=3", `duration=${durationNs}`, "vms.0.tscKhz=2.1GHz", "host.tscKhz=2994MHz", ...sets]));
    }
  });

  // Lazy TSC-deadline on the hrtimer with a short halt poll: the hrtimer's callback re-arms
  // to the later deadline (no injection) while the poll's end is parked, and the new
  // hrtimer falls at the very ns of the parked event: queued after it, it must run after it.
  test.each([
    [51_000, 1, 0, 1000, 500_000],
    [30_000, 1, 29_000, 0, 500_000],
    [51_000, 1, 0, 1000, 5_000_000],
    [30_000, 1, 29_000, 0, 5_000_000],
  ])("a timer armed at the time of a parked event (interval %i ns, %i rewrites %i ns apart): identical", (intervalNs, rewrites, spacingNs, hrtimerNs, durationNs) => {
    const c = scenario(
      {
        durationNs,
        kvm: { lazyTscDeadline: true, hvTimer: false, apicv: false, haltPoll: { maxNs: 50_000, grow: 0, growStartNs: 10_000, shrink: 0, dynamic: false, maxStealPercent: null } },
        delays: { hrtimer: fixed(hrtimerNs), wakeup: fixed(0), vmExit: fixed(1000), vmEntry: fixed(0), irqDispatch: fixed(0), msrExit: fixed(2000) },
      },
      storm(intervalNs, rewrites, spacingNs),
    );
    expectIdentical(c);
  });

  // The metric log fills while a parked event is due (its vCPU's callback re-armed a later
  // hrtimer): the loop returns to drain it, the parked event goes into the queue with its seq.
  test("a parked event due when the metric log fills (log mode): identical", () => {
    const c = scenario(
      {
        durationNs: 8_982_000,
        kvm: { lazyTscDeadline: true, hvTimer: false, apicv: false },
        delays: { hrtimer: fixed(0), wakeup: fixed(0), vmExit: fixed(0), vmEntry: fixed(0), irqDispatch: fixed(0), msrExit: fixed(1000) },
      },
      storm(5000, 2, 2000),
    );
    expect(viaForwarders(c, "wasm")).toBe(viaForwarders(c, "ts"));
  });

  // Pauses and migrations turn chaining off (their events are the vCPU's, untracked by the
  // loop): nothing is held back or parked, and the storm is identical all the same.
  test("S15 with a pause and a migration: identical", () => {
    expectIdentical(
      loadScenario("s15-lazy-tscdeadline", [
        "vms.0.vcpus=2",
        "duration=12ms",
        "kvm.lazyTscDeadline=false",
        'vms.0.pauses=[{"at":"3ms","length":"1ms"}]',
        'vms.0.migrations=[{"at":"7ms","tscKhz":"2.5GHz"}]',
      ]),
    );
  });

  // Rearm storms under halt polling, with round fixed delays so that events often fall at
  // the same ns; runs of 0.5-6 ms end anywhere in a period.
  test("property: rearm-storm under halt polling, round delays: identical", () => {
    const round = fc.constantFrom(0, 500, 1000, 2000);
    const draw = fc.record({
      lazy: fc.boolean(),
      hv: fc.boolean(),
      apicv: fc.boolean(),
      maxNs: fc.constantFrom(50_000, 100_000, 200_000, 300_000),
      grow: fc.constantFrom(0, 2),
      dynamic: fc.boolean(),
      intervalUs: fc.integer({ min: 5, max: 300 }),
      rewrites: fc.integer({ min: 0, max: 5 }),
      spacingUs: fc.integer({ min: 0, max: 30 }),
      d: fc.record({ hrtimer: round, wakeup: round, vmExit: round, vmEntry: round, irqDispatch: round, msrExit: round }),
      vcpus: fc.integer({ min: 1, max: 3 }),
      tscKhz: fc.constantFrom(3_000_000, 2_100_000),
      durationUs: fc.integer({ min: 500, max: 6000 }),
    });
    fc.assert(
      fc.property(draw, fc.boolean(), (r, perVcpu) => {
        const c = scenario(
          {
            durationNs: r.durationUs * 1000,
            kvm: { lazyTscDeadline: r.lazy, hvTimer: r.hv, apicv: r.apicv, haltPoll: { maxNs: r.maxNs, grow: r.grow, growStartNs: 10_000, shrink: 0, dynamic: r.dynamic, maxStealPercent: null } },
            delays: { hrtimer: fixed(r.d.hrtimer), wakeup: fixed(r.d.wakeup), vmExit: fixed(r.d.vmExit), vmEntry: fixed(r.d.vmEntry), irqDispatch: fixed(r.d.irqDispatch), msrExit: fixed(r.d.msrExit) },
            vm: { vcpus: r.vcpus, tscKhz: r.tscKhz },
          },
          storm(r.intervalUs * 1000, r.rewrites, r.spacingUs * 1000),
        );
        expect(resultOf(c, "wasm", perVcpu)).toBe(resultOf(c, "ts", perVcpu));
      }),
      { numRuns: 80 },
    );
  });
  // S10's 4,768 Hz periodic timer with the guest in HLT: each hrtimer callback restarts the
  // hrtimer, held back; the wake-up's entry cancels it on the preemption timer, and on the
  // hrtimer alone it is still armed when the vCPU blocks again and goes into the queue.
  // Runs end at 7 points of a period (209.7 us), so the last restart straddles the end; the
  // v5.4 era restarts at the hrtimer's own expiry plus the period, mainline at the target.
  test.each([
    ["v5.4 on the preemption timer", ["kvm.era=v5.4"]],
    ["mainline on the preemption timer", ["kvm.era=mainline"]],
    ["v5.4 on the hrtimer", ["kvm.era=v5.4", "kvm.hvTimer=false"]],
    ["mainline on the hrtimer", ["kvm.era=mainline", "kvm.hvTimer=false"]],
  ])("S10 in HLT, %s, 3 vCPUs, runs ending at 7 points of a period: identical", (_name, sets) => {
    for (const durationNs of [2_000_000, 2_000_900, 2_050_000, 2_097_300, 2_140_000, 2_201_700, 2_209_000]) {
      expectIdentical(loadScenario("s10-periodic-negative-delta", ["vms.0.vcpus=3", `duration=${durationNs}`, "vms.0.workload.wait=hlt", ...sets]));
    }
  });

  // Periodic timers in HLT or busy, with or without the preemption timer, under halt
  // polling, with round fixed delays (events often at the same ns as a held restart) and
  // runs that end anywhere in a period.
  test("property: periodic timers under halt polling, round delays: identical", () => {
    const round = fc.constantFrom(0, 500, 1000, 2000);
    const draw = fc.record({
      era: fc.constantFrom("v5.4" as const, "mainline" as const),
      hv: fc.boolean(),
      apicv: fc.boolean(),
      maxNs: fc.constantFrom(0, 50_000, 200_000),
      tmict: fc.integer({ min: 20_000, max: 400_000 }),
      wait: fc.constantFrom("hlt" as const, "busy" as const),
      d: fc.record({ hrtimer: round, wakeup: round, vmExit: round, vmEntry: round, irqDispatch: round, msrExit: round, cpuIdleExit: round }),
      vcpus: fc.integer({ min: 1, max: 3 }),
      durationUs: fc.integer({ min: 500, max: 6000 }),
    });
    fc.assert(
      fc.property(draw, fc.boolean(), (r, perVcpu) => {
        const c = scenario(
          {
            durationNs: r.durationUs * 1000,
            kvm: { era: r.era, hvTimer: r.hv, apicv: r.apicv, haltPoll: { maxNs: r.maxNs, grow: 2, growStartNs: 10_000, shrink: 0, dynamic: r.maxNs > 0, maxStealPercent: null } },
            delays: { hrtimer: fixed(r.d.hrtimer), wakeup: fixed(r.d.wakeup), vmExit: fixed(r.d.vmExit), vmEntry: fixed(r.d.vmEntry), irqDispatch: fixed(r.d.irqDispatch), msrExit: fixed(r.d.msrExit), cpuIdleExit: fixed(r.d.cpuIdleExit) },
            vm: { vcpus: r.vcpus },
          },
          periodic(r.tmict, 0xb, r.wait),
        );
        expect(resultOf(c, "wasm", perVcpu)).toBe(resultOf(c, "ts", perVcpu));
      }),
      { numRuns: 80 },
    );
  });
  // Host stalls at round times (every 100 us to 1 ms) with round fixed delays and timers,
  // so that thread events fall at the very ns of a stall and park behind it, or run
  // before it, by its seq: busy and halting periodic guests, cyclictest and rearm storms.
  test("property: thread events parked behind host stalls at the same ns: identical", () => {
    const round = fc.constantFrom(0, 1000, 2000, 5000);
    const workload = fc.oneof(
      fc.record({ tmict: fc.constantFrom(200_000, 250_000, 300_000, 500_000), wait: fc.constantFrom("hlt" as const, "busy" as const) }).map((w) => periodic(w.tmict, 0xb, w.wait)),
      fc.record({ intervalUs: fc.constantFrom(50, 100, 200), rewrites: fc.integer({ min: 0, max: 3 }), spacingUs: fc.constantFrom(5, 10, 25) }).map((w) => storm(w.intervalUs * 1000, w.rewrites, w.spacingUs * 1000)),
      fc.constantFrom(100_000, 200_000, 500_000).map((intervalNs): Workload => ({ ...CYCLICTEST, intervalNs })),
    );
    const draw = fc.record({
      era: fc.constantFrom("v5.4" as const, "mainline" as const),
      hv: fc.boolean(),
      maxNs: fc.constantFrom(0, 50_000, 200_000),
      everyNs: fc.constantFrom(100_000, 250_000, 500_000, 1_000_000),
      lengthNs: fc.constantFrom(0, 5_000, 50_000),
      d: fc.record({ hrtimer: round, wakeup: round, vmExit: round, vmEntry: round, irqDispatch: round, msrExit: round, cpuIdleExit: round }),
      vcpus: fc.integer({ min: 1, max: 3 }),
      durationUs: fc.integer({ min: 500, max: 6000 }),
    });
    fc.assert(
      fc.property(draw, workload, fc.boolean(), (r, w, perVcpu) => {
        const c = scenario(
          {
            durationNs: r.durationUs * 1000,
            host: { stalls: { everyNs: r.everyNs, lengthNs: r.lengthNs } },
            kvm: { era: r.era, hvTimer: r.hv, haltPoll: { maxNs: r.maxNs, grow: 2, growStartNs: 10_000, shrink: 0, dynamic: r.maxNs > 0, maxStealPercent: null } },
            delays: { hrtimer: fixed(r.d.hrtimer), wakeup: fixed(r.d.wakeup), vmExit: fixed(r.d.vmExit), vmEntry: fixed(r.d.vmEntry), irqDispatch: fixed(r.d.irqDispatch), msrExit: fixed(r.d.msrExit), cpuIdleExit: fixed(r.d.cpuIdleExit) },
            vm: { vcpus: r.vcpus },
          },
          w,
        );
        expect(resultOf(c, "wasm", perVcpu)).toBe(resultOf(c, "ts", perVcpu));
      }),
      { numRuns: 120 },
    );
  });
});
