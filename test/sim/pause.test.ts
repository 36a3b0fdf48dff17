// A stopped VM (S11, 18ab3fc8e880 / CVE-2025-71104): a periodic guest at 4768 Hz on the
// hv timer, stopped for 10 s. The host's hrtimers go on while its vCPU cannot run.

import { describe, expect, test } from "vitest";
import { CountingSink, run, scenario } from "./harness.js";
import { type GuestCtx, type GuestGenerator, type GuestProgram } from "../../src/sim/guest.js";
import { APIC_LVTT, APIC_TDCR, APIC_TMICT, LVTT_PERIODIC } from "../../src/sim/apic-regs.js";
import type { Era } from "../../src/scenario/types.js";

// 4768 Hz: 209,731 bus cycles of 1 ns at ÷1.
const PERIOD_NS = 209_731;
const PAUSE_AT = 100_000_000;
const PAUSE_NS = 10_000_000_000;
const RESUME = PAUSE_AT + PAUSE_NS;

const busyPeriodic: GuestProgram = {
  *main(g: GuestCtx): GuestGenerator {
    yield g.writeApic(APIC_TDCR, 0xb);
    yield g.writeApic(APIC_LVTT, LVTT_PERIODIC | 0xec);
    yield g.writeApic(APIC_TMICT, PERIOD_NS);
    for (;;) yield g.compute(50_000);
  },
  *interrupt(g: GuestCtx): GuestGenerator {
    yield g.eoi();
  },
};

/** hrtimer callbacks in the second after the VM resumes. */
class CallbackWindow extends CountingSink {
  inSecondAfterResume = 0;
  override hrtimerCallback(nowNs: number): void {
    super.hrtimerCallback();
    if (nowNs >= RESUME && nowNs < RESUME + 1e9) this.inSecondAfterResume++;
  }
}

function runStopped(era: Era) {
  const config = scenario({ kvm: { era, hvTimer: true }, vm: { pauses: [{ atNs: PAUSE_AT, lengthNs: PAUSE_NS }] }, durationNs: RESUME + 1_100_000_000 });
  const sink = new CallbackWindow();
  const { sim } = run(config, [busyPeriodic], {}, () => sink);
  return { sink, sim };
}

describe("S11: a periodic guest stopped for 10 s", () => {
  test("pre-2025 (v5.4): a storm of catch-up callbacks, the vCPU falls back to the hrtimer", () => {
    const { sink } = runStopped("v5.4");
    // 10 s / 209.7 µs = 47,680 missed periods, re-fired back to back, then 4768/s on the
    // hrtimer: the seed reports 51,543 callbacks in the first second.
    expect(sink.inSecondAfterResume).toBeGreaterThan(47_000);
    expect(sink.inSecondAfterResume).toBeLessThan(56_000);
    expect(sink.hvFallbacks).toBeGreaterThan(0);
  });

  test("mainline: one expiry at resume, target = now, and back on the hv timer", () => {
    const { sink } = runStopped("mainline");
    expect(sink.inSecondAfterResume).toBeLessThan(100);
    expect(sink.hvFallbacks).toBe(0);
    // The guest keeps its 4768 Hz on preemption-timer exits after the resume.
    expect(sink.preemptionTimer).toBeGreaterThan(4768);
  });
});
