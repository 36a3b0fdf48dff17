// Blocking with the hv timer (spec §6.4): the switch to the hrtimer before sleeping can
// find the deadline already passed; kvm_vcpu_check_block must then keep the vCPU awake.

import { expect, test } from "vitest";
import { run, scenario } from "./harness.js";
import { Exit, type GuestCtx, type GuestGenerator, type GuestProgram } from "../../src/sim/guest.js";
import { APIC_LVTT, LVTT_TSCDEADLINE } from "../../src/sim/apic-regs.js";

test.each([true, false])("a deadline that passes between HLT and blocking still wakes the vCPU (APICv %s)", (apicv) => {
  const irqs = { count: 0 };
  const prog: GuestProgram = {
    *main(g: GuestCtx): GuestGenerator {
      yield g.writeApic(APIC_LVTT, LVTT_TSCDEADLINE | 0xef);
      for (let i = 0; i < 10; i++) {
        g.rdtscTo(0);
        g.regAdd(0, 0, 20_000);
        yield g.wrmsrTscDeadline(0);
        // Deadline at +6667 ns; the WRMSR round trip takes 800 ns; HLT at +6500 ns reaches
        // kvm_vcpu_block at +6800 ns, after the deadline (the preemption timer does not
        // run outside guest mode).
        const before = irqs.count;
        yield g.compute(5_700);
        if (irqs.count === before) yield g.hlt();
      }
      yield Exit.Done;
    },
    *interrupt(g: GuestCtx): GuestGenerator {
      irqs.count++;
      yield g.eoi();
    },
  };
  run(scenario({ kvm: { apicv, hvTimer: true, timerAdvance: { kind: "off" } } }), [prog]);
  expect(irqs.count).toBe(10);
});
