// `tscsim run` with no arguments: a small, believable mainline host (issue #3 §8).
import type { ScenarioFile } from "../schema.js";

export const defaultPreset = {
  name: "default",
  description: "2 VMs x 4 vCPUs (one at 2.1 GHz on a 2.994 GHz host, one unscaled), mainline, cyclictest 1 ms, 2 s",
  seed: 1,
  duration: "2s",
  host: {
    vendor: "vmx",
    tscKhz: "2994MHz",
    // host.delays: the documented lognormal defaults (docs/scenario-format.md).
  },
  // timerAdvance left to the era's default (adaptive here), so `--set kvm.era=v4.0` works as is.
  kvm: { era: "mainline", hvTimer: true },
  vms: [
    { name: "scaled", vcpus: 4, tscKhz: "2.1GHz", workload: { kind: "cyclictest", interval: "1ms" } },
    { name: "unscaled", vcpus: 4, workload: { kind: "cyclictest", interval: "1ms" } },
  ],
} as const satisfies ScenarioFile;
