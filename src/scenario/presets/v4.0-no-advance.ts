// Seed scenario S1 (seed-history.md §7): the 2014 kernel with timer advancement off;
// the guest sees the whole host delay (d0659d946be0 reported a 12 us cyclictest average).
import type { ScenarioFile } from "../schema.js";

export const v40NoAdvancePreset = {
  name: "v4.0-no-advance",
  description: "the v4.0 era (sw TSC-deadline timer only) with advancement off: cyclictest 1 ms on 4 vCPUs",
  duration: "2s",
  kvm: { era: "v4.0", timerAdvance: "off" },
  vms: [{ name: "guest", vcpus: 4, workload: { kind: "cyclictest", interval: "1ms" } }],
} as const satisfies ScenarioFile;
