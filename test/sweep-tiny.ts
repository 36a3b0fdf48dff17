// The small sweep several sweep tests run (6 combinations × 2 seeds of a 2 ms, 1-vCPU
// cyclictest), and the form in which two runs of a sweep must give the same file.

import { readFileSync } from "node:fs";

export const TINY = { base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1 }, axes: { "kvm.timerAdvance": [0, 1000, 3000], "kvm.era": ["v5.1", "v5.4"] }, seeds: 2 };

/** A results file's lines without wallMs, sorted: what must be identical between two runs of a sweep. */
export function canonical(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.replace(/,"wallMs":[0-9.e+-]+}$/, "}"))
    .sort();
}
