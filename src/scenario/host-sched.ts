// host.cpus, host.sched, host.load, host.outer and vms.<i>.pin: the host CPUs the vCPU
// threads share and the fair-share scheduler that runs them (docs/host-model.md). Absent
// (the default), every vCPU has a host CPU of its own and no scheduler runs: results are
// those of the model without one, byte for byte.

import { z } from "zod";
import { delayDistSchema } from "./delays.js";
import { duration, intIn, strict } from "./fields.js";
import type { HostLoad, SchedParams } from "./types.js";

/** Most host CPUs (each level). */
export const MAX_HOST_CPUS = 1_000_000;

/**
 * host.sched: CFS's tunables (kernel/sched/fair.c, sysctl_sched_*), unscaled (the
 * kernel multiplies the first three by 1 + ilog2(min(ncpus, 8)) at boot; give the scaled
 * values for a given host), plus how fast a poll loop sees a runnable neighbour.
 */
export const schedParamsSchema = strict(
  {
    latency: duration({ minNs: 1 }).prefault("6ms"),
    minGranularity: duration({ minNs: 1 }).prefault("750us"),
    wakeupGranularity: duration().prefault("1ms"),
    pollYield: duration().prefault("100ns"),
  },
  'an object such as {"latency": "6ms", "minGranularity": "750us", "wakeupGranularity": "1ms", "pollYield": "100ns"}',
).transform(
  (s): SchedParams => ({ latencyNs: s.latency, minGranularityNs: s.minGranularity, wakeupGranularityNs: s.wakeupGranularity, pollYieldNs: s.pollYield }),
);

const cpuList = z.union([z.literal("all"), z.array(intIn(0, MAX_HOST_CPUS - 1), { error: 'a list of CPU indices such as [0, 1], or "all"' })], {
  error: 'a list of CPU indices such as [0, 1], or "all"',
});

/**
 * One background task per listed CPU: it wakes every `period` (a random phase per CPU)
 * and wants `busy` × period of CPU time, or a draw from `run`, each time.
 */
const loadEntrySchema = strict(
  {
    cpus: cpuList,
    period: duration({ minNs: 1 }),
    busy: z.number({ error: "a number 0 < busy <= 1 (the share of each period the task wants)" }).gt(0).max(1).optional(),
    run: delayDistSchema.optional(),
  },
  'a load such as {"cpus": [0, 1], "busy": 0.3, "period": "4ms"} or {"cpus": "all", "run": {"dist": "fixed", "value": "1ms"}, "period": "4ms"}',
)
  .superRefine((l, ctx) => {
    if ((l.busy === undefined) === (l.run === undefined)) ctx.addIssue({ code: "custom", path: ["busy"], message: "exactly one of busy (a share of the period) or run (a distribution of run lengths)", input: l.busy });
  })
  .transform((l): HostLoad => ({ cpus: l.cpus, periodNs: l.period, run: l.run !== undefined ? l.run : { dist: "fixed", valueNs: Math.round((l.busy ?? 0) * l.period) } }));

export const loadSchema = z.array(loadEntrySchema, { error: 'a list of loads such as [{"cpus": [0], "busy": 0.3, "period": "4ms"}]' });

export const pinSchema = z.union([z.literal("spread"), z.array(intIn(0, MAX_HOST_CPUS - 1), { error: 'a list with one host CPU index per vCPU, or "spread"' })], {
  error: 'a list with one host CPU index per vCPU, or "spread"',
});

/** host.outer: the host's CPUs are vCPUs of an outer hypervisor running them on `cpus` CPUs shared with `load`. */
export const outerSchema = strict(
  {
    cpus: intIn(1, MAX_HOST_CPUS),
    pin: pinSchema.prefault("spread"),
    load: loadSchema.prefault([]),
  },
  'null or an object such as {"cpus": 2, "load": [{"cpus": "all", "busy": 0.5, "period": "10ms"}]}',
).nullable();
