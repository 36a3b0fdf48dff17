// LVTT periodic mode asking for 100 us (TMICT 100000 at divide-by-1, 1 ns bus cycle):
// KVM clamps the period to min_timer_period_us = 200 us (spec §4.1).
import type { ScenarioFile } from "../schema.js";

export const periodicFloorPreset = {
  name: "periodic-floor",
  description: "one vCPU in LVTT periodic mode asking for 100 us, clamped to the 200 us min_timer_period_us floor",
  duration: "1s",
  vms: [{ name: "guest", vcpus: 1, workload: { kind: "periodic", tmict: 100000, tdcr: "0xb" } }],
} as const satisfies ScenarioFile;
