// Built-in guest workloads by scenario kind.

import type { ScenarioConfig, Workload } from "../../scenario/types.js";
import type { AnyGuestProgram } from "../guest.js";
import { tscdeadlineLatency } from "./tscdeadline-latency.js";
import { cyclictest } from "./cyclictest.js";
import { oneshot, periodic } from "./lapic-count.js";
import { rearmStorm } from "./rearm-storm.js";
import { idleTick } from "./idle-tick.js";

/** The program for one VM's workload; `vcpus` sizes its per-vCPU state. */
export function workloadProgram(w: Workload, kvm: ScenarioConfig["kvm"], vcpus: number): AnyGuestProgram {
  switch (w.kind) {
    case "tscdeadline-latency":
      return tscdeadlineLatency(w, vcpus);
    case "cyclictest":
      return cyclictest(w, vcpus);
    case "periodic":
      return periodic({ tmict: w.tmict, tdcr: w.tdcr, gapNs: 0, wait: w.wait, apicBusCycleNs: kvm.apicBusCycleNs, minTimerPeriodUs: kvm.minTimerPeriodUs });
    case "rearm-storm":
      return rearmStorm(w, vcpus);
    case "idle-tick":
      return idleTick(w, vcpus);
    case "oneshot":
      return oneshot({ tmict: w.tmict, tdcr: w.tdcr, gapNs: w.gapNs, wait: w.wait, apicBusCycleNs: kvm.apicBusCycleNs, minTimerPeriodUs: kvm.minTimerPeriodUs });
  }
}
