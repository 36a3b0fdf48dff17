// kvm-unit-tests x86/apic.c timer assertions (spec §8.2), written as guest programs.

import { describe, expect, test } from "vitest";
import { program, run, scenario } from "./harness.js";
import { Exit, type GuestCtx } from "../../src/sim/guest.js";
import {
  APIC_LVR,
  APIC_LVT_MASKED,
  APIC_LVTT,
  APIC_TDCR,
  APIC_TMCCT,
  APIC_TMICT,
  LVTT_PERIODIC,
  LVTT_TSCDEADLINE,
} from "../../src/sim/apic-regs.js";


/** Guest busy loop until cond() or a timeout (in ns of guest time); true if cond held. */
function* waitUntil(g: GuestCtx, cond: () => boolean, timeoutNs = 1e9, stepNs = 20_000): Generator<Exit, boolean, undefined> {
  const end = g.nowNs() + timeoutNs;
  while (!cond()) {
    if (g.nowNs() > end) return false;
    yield g.compute(stepNs);
  }
  return true;
}

const variants = [
  { name: "APICv, hv timer", kvm: { apicv: true, hvTimer: true } },
  { name: "APICv, hrtimer", kvm: { apicv: true, hvTimer: false } },
  { name: "no APICv, hv timer", kvm: { apicv: false, hvTimer: true } },
  { name: "no APICv, hrtimer", kvm: { apicv: false, hvTimer: false } },
];

describe.each(variants)("apic.c timer tests ($name)", ({ kvm }) => {
  test("apic existence: (u8)LVR in [0x10, 0x15]", () => {
    let lvr = -1;
    const { prog } = program(function* (g) {
      lvr = g.readApic(APIC_LVR) & 0xff;
      yield Exit.Done;
    });
    run(scenario({ kvm }), [prog]);
    expect(lvr).toBeGreaterThanOrEqual(0x10);
    expect(lvr).toBeLessThanOrEqual(0x15);
  });

  test("tsc deadline timer: an expired deadline delivers exactly one interrupt, then the MSR reads 0", () => {
    let countAfterCpuid = -1;
    let msrAfter = -1n;
    const { prog } = program(function* (g, irqs) {
      yield g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | 0xef);
      g.rdtscTo(0);
      yield g.wrmsrTscDeadline(0);
      yield g.cpuid();
      countAfterCpuid = irqs.count;
      g.rdmsrTscDeadlineTo(1);
      msrAfter = g.reg(1);
      yield Exit.Done;
    });
    run(scenario({ kvm }), [prog]);
    expect(countAfterCpuid).toBe(1);
    expect(msrAfter).toBe(0n);
  });

  test("APIC LVT timer one shot: TMICT 0x10000 at ÷1 fires once, after >= 0x10000 TSC cycles", () => {
    let elapsed = -1;
    let count = -1;
    const { prog } = program(function* (g, irqs) {
      yield g.writeApic(APIC_LVTT, 0xee);
      yield g.writeApic(APIC_TDCR, 0xb);
      g.rdtscTo(0);
      yield g.writeApic(APIC_TMICT, 0x10000);
      yield* waitUntil(g, () => irqs.count > 0, 1e9, 1000);
      g.rdtscTo(1);
      elapsed = g.regDiff(1, 0);
      yield* waitUntil(g, () => false, 1_000_000);
      count = irqs.count;
      yield Exit.Done;
    });
    run(scenario({ kvm }), [prog]);
    expect(count).toBe(1);
    expect(elapsed).toBeGreaterThanOrEqual(0x10000);
  });

  test("apic change mode: steps a-g", () => {
    const tmict = 0x999999;
    const checks: Record<string, boolean> = {};
    const { prog } = program(function* (g) {
      const tmcct = () => g.readApic(APIC_TMCCT);
      const mode = (m: number) => g.writeApic(APIC_LVTT, APIC_LVT_MASKED | m | 0xec);
      yield g.writeApic(APIC_TDCR, 0xb);
      // a. periodic after a TMICT write keeps TMICT.
      yield mode(0);
      yield g.writeApic(APIC_TMICT, tmict);
      yield mode(LVTT_PERIODIC);
      checks.a = g.readApic(APIC_TMICT) === tmict;
      // b. one-shot counts down to 0.
      yield mode(0);
      yield g.writeApic(APIC_TMICT, tmict);
      checks.b1 = tmcct() !== 0;
      checks.b2 = yield* waitUntil(g, () => tmcct() === 0);
      // c. switching to periodic mid-count continues the count.
      yield g.writeApic(APIC_TMICT, tmict);
      yield* waitUntil(g, () => tmcct() < tmict / 2);
      yield mode(LVTT_PERIODIC);
      const c = tmcct();
      checks.c = c !== 0 && c < tmict / 2;
      // d. periodic reloads: after the wrap the count is above half again.
      checks.d = yield* waitUntil(g, () => tmcct() > tmict / 2);
      // e. back to one-shot below half: it stays below half and reaches 0.
      yield* waitUntil(g, () => tmcct() < tmict / 2 && tmcct() !== 0);
      yield mode(0);
      checks.e1 = tmcct() < tmict / 2;
      checks.e2 = yield* waitUntil(g, () => tmcct() === 0);
      // f. TMCCT 0 with TMICT set: switching to periodic does not restart the count.
      yield mode(LVTT_PERIODIC);
      checks.f = tmcct() === 0;
      yield* waitUntil(g, () => false, 2_000_000);
      checks.f2 = tmcct() === 0;
      // g. every mode write reads back the written mode.
      for (const m of [0, LVTT_PERIODIC, LVTT_TSCDEADLINE]) {
        yield mode(m);
        checks[`g${m}`] = (g.readApic(APIC_LVTT) & (3 << 17)) === m;
      }
      yield Exit.Done;
    });
    run(scenario({ kvm, durationNs: 2e9 }), [prog]);
    expect(checks).toEqual({ a: true, b1: true, b2: true, c: true, d: true, e1: true, e2: true, f: true, f2: true, g0: true, [`g${LVTT_PERIODIC}`]: true, [`g${LVTT_TSCDEADLINE}`]: true });
  });
});

test("without the TSC-deadline CPUID bit, writing deadline mode yields one-shot", () => {
  let lvtt = -1;
  const { prog } = program(function* (g) {
    yield g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | 0xef);
    lvtt = g.readApic(APIC_LVTT);
    yield Exit.Done;
  });
  run(scenario({ vm: { tscDeadline: false } }), [prog]);
  expect(lvtt).toBe(0xef);
});
