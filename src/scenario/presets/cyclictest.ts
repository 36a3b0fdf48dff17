// cyclictest -i 200 on a 4-vCPU guest: TSC-deadline arming then HLT every 200 µs.
import type { ScenarioFile } from "../schema.js";

export const cyclictestPreset = {
  name: "cyclictest",
  description: "one VM, 4 vCPUs running cyclictest at a 200 us interval (mainline, unscaled TSC), with its summary line",
  duration: "2s",
  vms: [{ name: "guest", vcpus: 4, workload: { kind: "cyclictest", interval: "200us", printSummary: true } }],
} as const satisfies ScenarioFile;
