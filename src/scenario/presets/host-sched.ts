// Presets for the host scheduler (host.cpus, host.load, host.outer, vms.<i>.pin): an
// overcommitted host with halt polling on and off, a nested host whose outer CPUs are
// shared with other tenants (polling on, off, and off by steal), and a pinned, isolated
// real-time host. docs/scenarios.md says what each shows; docs/host-model.md the model.
import type { ScenarioFile } from "../schema.js";

type Preset = ScenarioFile & { name: string; description: string };

/** Two VMs of 4 vCPUs on 4 CPUs: cyclictest at 1 ms in one, a guest busy 60 % of each 200 µs in the other. */
const overcommit = (poll: boolean): Preset => ({
  name: poll ? "overcommit-poll" : "overcommit-no-poll",
  description: `2 VMs x 4 vCPUs on 4 host CPUs: cyclictest 1 ms next to a guest busy 120 us of every 200 us, halt polling ${poll ? "on (200 us, dynamic)" : "off"}`,
  duration: "1s",
  host: { cpus: 4 },
  kvm: { haltPoll: { max: poll ? "200us" : 0 } },
  vms: [
    { name: "rt", vcpus: 4, workload: { kind: "cyclictest", interval: "1ms" } },
    { name: "busy", vcpus: 4, workload: { kind: "cyclictest", interval: "200us", work: "120us" } },
  ],
});

/** An L1 host of 2 CPUs on 2 outer CPUs that other tenants keep half busy; its guest wakes every 200 µs. */
const nested = (name: string, poll: "poll" | "no-poll" | "steal", what: string): Preset => ({
  name,
  description: `nested: 2 host CPUs are vCPUs of an outer hypervisor on 2 CPUs with tenants busy 50 %; cyclictest 200 us in a 2-vCPU guest, ${what}`,
  duration: "1s",
  host: { cpus: 2, outer: { cpus: 2, load: [{ cpus: "all", busy: 0.5, period: "10ms" }] } },
  kvm: { haltPoll: { max: poll === "no-poll" ? 0 : "200us", maxStealPercent: poll === "steal" ? 10 : null } },
  vms: [{ vcpus: 2, workload: { kind: "cyclictest", interval: "200us", work: "20us" } }],
});

export const HOST_SCHED_PRESETS: readonly Preset[] = [
  overcommit(true),
  overcommit(false),
  nested("nested-poll", "poll", "halt polling on"),
  nested("nested-no-poll", "no-poll", "halt polling off"),
  nested("nested-steal-no-poll", "steal", "polling off while steal >= 10 % (s390 halt_poll_max_steal)"),
  {
    name: "rt-pinned",
    description: "a real-time host: 4 cyclictest vCPUs pinned to 4 isolated CPUs; a noisy VM and host load confined to 2 housekeeping CPUs",
    duration: "1s",
    host: { cpus: 6, load: [{ cpus: [0, 1], busy: 0.3, period: "4ms" }] },
    vms: [
      { name: "rt", vcpus: 4, pin: [2, 3, 4, 5], workload: { kind: "cyclictest", interval: "200us" } },
      { name: "noisy", vcpus: 2, pin: [0, 1], workload: { kind: "cyclictest", interval: "200us", work: "80us" } },
    ],
  },
];
