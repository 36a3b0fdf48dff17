// Trapped APIC register reads (issue #11 §4): TMCCT always exits (APIC-register
// virtualization does not cover it, KVM intercepts its read), every register without
// APICv; each read costs an exit round trip (host.delays.msrExit) and counts in
// exits.apicRead. A guest that polls TMCCT pays for it.

import { describe, expect, test } from "vitest";
import { run, scenario } from "./harness.js";
import { Exit, type GuestProgram } from "../../src/sim/guest.js";
import { APIC_LVTT, APIC_TDCR, APIC_TMCCT, APIC_TMICT } from "../../src/sim/apic-regs.js";

function reader(offset: number, reads: number, out: { elapsedNs: number; last: number }): GuestProgram {
  return {
    *main(g) {
      yield g.writeApic(APIC_TDCR, 0xb);
      yield g.writeApic(APIC_LVTT, 0xef);
      yield g.writeApic(APIC_TMICT, 10_000_000);
      const start = g.nowNs();
      for (let i = 0; i < reads; i++) {
        out.last = g.readApic(offset);
        yield Exit.None;
      }
      out.elapsedNs = g.nowNs() - start;
      yield Exit.Done;
    },
    *interrupt(g) {
      yield g.eoi();
    },
  };
}

describe("trapped APIC register reads", () => {
  test.each([
    ["TMCCT with APICv", APIC_TMCCT, true, 100],
    ["TMCCT without APICv", APIC_TMCCT, false, 100],
    ["LVTT without APICv", APIC_LVTT, false, 100],
    ["LVTT with APICv (virtualized: no exit)", APIC_LVTT, true, 0],
  ])("%s: the reads exit (or not), each an 800 ns round trip", (_name, offset, apicv, exits) => {
    const out = { elapsedNs: -1, last: -1 };
    const { sinks } = run(scenario({ durationNs: 5_000_000, kvm: { apicv } }), [reader(offset, 100, out)]);
    expect(sinks[0]!.apicRead).toBe(exits);
    expect(out.elapsedNs).toBe(exits * 800);
  });

  test("a TMCCT polling loop sees the count fall as the exits take time", () => {
    const out = { elapsedNs: -1, last: -1 };
    run(scenario({ durationNs: 5_000_000 }), [reader(APIC_TMCCT, 1000, out)]);
    // 1000 reads x 800 ns = 800 µs of a 10 ms count at 1 ns per bus cycle.
    expect(out.last).toBeLessThan(10_000_000 - 790_000);
    expect(out.last).toBeGreaterThan(10_000_000 - 810_000);
  });
});
