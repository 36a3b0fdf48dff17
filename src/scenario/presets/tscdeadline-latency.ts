// kvm-unit-tests x86/tscdeadline_latency.c with its defaults (spec §8.1): delta 200000
// cycles, 10000 samples, no breakmax. 10000 x 200000 cycles at 2.994 GHz is about 0.67 s.
import type { ScenarioFile } from "../schema.js";

export const tscdeadlineLatencyPreset = {
  name: "tscdeadline-latency",
  description: "one vCPU running kvm-unit-tests tscdeadline_latency (delta 200000 cycles, 10000 samples)",
  duration: "2s",
  vms: [{ name: "kut", vcpus: 1, workload: { kind: "tscdeadline-latency", delta: 200000, size: 10000, breakmax: 0 } }],
} as const satisfies ScenarioFile;
