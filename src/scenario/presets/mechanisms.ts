// Presets for the host mechanisms of issue #11: a tuned real-time host beside the default
// one, and the two published comparisons (ce7a058a2117: the preemption timer with a
// busy-waiting and a halting guest; 0c5f81dad46c: posted timer interrupts). All run with
// the default host delays: nothing here is fitted to the published figures
// (docs/scenarios.md compares them as directions and ratios).
import type { ScenarioFile } from "../schema.js";

/** The tuned real-time host: the `cyclictest` preset's guest, with what such hosts configure. */
export const rtHostPreset = {
  name: "rt-host",
  description:
    "the cyclictest preset on a tuned real-time host: HLT/MWAIT/PAUSE exits disabled, posted timer interrupts, guests with idle=poll (compare: cyclictest)",
  duration: "2s",
  kvm: { postedTimerInterrupts: true },
  vms: [
    {
      name: "guest",
      vcpus: 4,
      disableExits: ["hlt", "mwait", "pause", "cstate"],
      workload: { kind: "cyclictest", interval: "200us", printSummary: true, idle: "poll" },
    },
  ],
} as const satisfies ScenarioFile;

/** ce7a058a2117's tscdeadline_latency on one vCPU: waiting by busy polling or by HLT after each arm. */
function ce7a058a2117Preset<N extends string>(name: N, waits: string, idle: "poll" | "halt") {
  return {
    name,
    description: `ce7a058a2117: tscdeadline_latency ${waits}, on the preemption timer (compare --set kvm.hvTimer=false)`,
    duration: "2s",
    vms: [{ name: "kut", vcpus: 1, workload: { kind: "tscdeadline-latency", delta: 200000, size: 10000, breakmax: 0, idle } }],
  } as const satisfies ScenarioFile;
}

/** ce7a058a2117's busy-waiting guest: tscdeadline_latency without hlt. */
export const hvBusyWaitPreset = ce7a058a2117Preset("p01-hv-busy-wait", "spinning instead of halting", "poll");

/** ce7a058a2117's halting guest: tscdeadline_latency with hlt. */
export const hvHaltPreset = ce7a058a2117Preset("p02-hv-halt", "halting after each arm", "halt");

/**
 * 0c5f81dad46c's dedicated instances: idle in guest mode (MWAIT and HLT exits disabled,
 * so the preemption timer is not used), the timer on the hrtimer; posting it moves the
 * interrupt off the vCPU's CPU.
 */
export const postedTimerPreset = {
  name: "p03-posted-timer",
  description: "0c5f81dad46c: cyclictest 1 ms on 4 vCPUs idling in guest mode, timer interrupts posted (compare --set kvm.postedTimerInterrupts=false)",
  duration: "2s",
  kvm: { postedTimerInterrupts: true },
  vms: [{ name: "guest", vcpus: 4, disableExits: ["mwait", "hlt", "pause"], workload: { kind: "cyclictest", interval: "1ms" } }],
} as const satisfies ScenarioFile;
