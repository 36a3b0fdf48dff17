// Halt polling (seed-history §6, scenario S17/S19): the window's grow/shrink rule and
// what it costs a guest that wakes periodically.

import { describe, expect, test } from "vitest";
import { run, scenario } from "./harness.js";
import { growHaltPollNs, nextHaltPollNs, shrinkHaltPollNs } from "../../src/sim/halt-poll.js";
import type { HaltPollConfig } from "../../src/scenario/types.js";

const X86: HaltPollConfig = { maxNs: 200_000, grow: 2, growStartNs: 10_000, shrink: 0, dynamic: true, maxStealPercent: null };

describe("the polling window update (kvm_vcpu_halt)", () => {
  test.each([
    // [window, halt, next, why]
    [0, 150_000, 10_000, "short halt, no window yet: grow to grow_start"],
    [10_000, 150_000, 20_000, "missed by the window: x2"],
    [160_000, 150_000, 160_000, "caught by the window: unchanged"],
    [160_000, 190_000, 320_000, "grow is not capped here (the next halt clamps to max)"],
    [160_000, 250_000, 0, "long block: shrink (shrink 0 = reset)"],
    [0, 250_000, 0, "long halt with no window: unchanged"],
    [200_000, 200_000, 200_000, "exactly the window: unchanged"],
  ])("window %i, halt %i -> %i (%s)", (window, halt, next) => {
    expect(nextHaltPollNs(window, halt, X86)).toBe(next);
  });

  test("max 0 disables polling; grow 0 disables growth; shrink divides and drops below grow_start to 0", () => {
    expect(nextHaltPollNs(50_000, 10_000, { ...X86, maxNs: 0 })).toBe(0);
    expect(growHaltPollNs(40_000, { ...X86, grow: 0 })).toBe(40_000);
    expect(shrinkHaltPollNs(160_000, { ...X86, shrink: 2 })).toBe(80_000);
    expect(shrinkHaltPollNs(15_000, { ...X86, shrink: 2 })).toBe(0);
    // unsigned int arithmetic: the product wraps at 2^32.
    expect(growHaltPollNs(3_000_000_000, { ...X86, grow: 2 })).toBe((6_000_000_000 % 2 ** 32));
  });
});

describe("a guest waking every interval with halt_poll_ns = 200 µs (S17, Carli 2022)", () => {
  const cyclic = (intervalNs: number) => ({ kind: "cyclictest" as const, intervalNs, loops: 0, printSummary: false, deadlineMsr: "tsc" as const, workNs: 0, idle: "halt" as const });
  const pollShare = (intervalNs: number, o: Parameters<typeof scenario>[0] = {}) => {
    const { sinks } = run(scenario({ ...o, kvm: { haltPoll: X86, ...o.kvm }, durationNs: 200_000_000 }, cyclic(intervalNs)));
    return { share: sinks[0]!.haltPollNs / 200_000_000, s: sinks[0]! };
  };

  test("below the maximum the poll always succeeds and never shrinks: the host CPU is busy polling", () => {
    const { share, s } = pollShare(190_000);
    expect(share).toBeGreaterThan(0.9);
    expect(s.pollsOk).toBeGreaterThan(0.95 * (s.pollsOk + s.pollsFailed));
  });

  test("above the maximum the window shrinks to 0: almost no polling", () => {
    expect(pollShare(250_000).share).toBeLessThan(0.02);
  });

  test("a successful poll skips the scheduler wake-up (2 µs here): latency falls", () => {
    const off = { kind: "off" as const };
    const noPoll = run(scenario({ durationNs: 200_000_000, kvm: { timerAdvance: off } }, cyclic(190_000))).sinks[0]!;
    const { s } = pollShare(190_000, { kvm: { timerAdvance: off } });
    expect(s.meanNs).toBeLessThan(noPoll.meanNs - 1500);
  });

  test("kvm_arch_no_poll, x86: the guest cleared MSR_KVM_POLL_CONTROL bit 0", () => {
    expect(pollShare(190_000, { vm: { pollControl: false } }).share).toBe(0);
  });

  test("kvm_arch_no_poll, s390 rule: steal time at or above halt_poll_max_steal", () => {
    const stalls = { everyNs: 10_000_000, lengthNs: 2_000_000 }; // 20 % steal
    expect(pollShare(190_000, { host: { stalls }, kvm: { haltPoll: { ...X86, maxStealPercent: 10 } } }).share).toBe(0);
    expect(pollShare(190_000, { host: { stalls }, kvm: { haltPoll: { ...X86, maxStealPercent: 30 } } }).share).toBeGreaterThan(0.5);
  });
});
