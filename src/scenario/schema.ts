// The scenario file (JSON, user-facing, with units) and its validation into the
// normalised ScenarioConfig the simulator consumes (issue #3 §8). Structure, types,
// ranges and defaults are the zod schema; what depends on several fields (era, vendor,
// guest TSC rates KVM would refuse) is checked afterwards in crossCheck.

import { z } from "zod";
import type { DisabledExit, ScenarioConfig, TimerAdvance, VmConfig } from "./types.js";
import { ScenarioError, type ScenarioIssue } from "./errors.js";
import { bool, duration, frequency, intIn, oneOf, strict, text } from "./fields.js";
import { hostDelaysSchema } from "./delays.js";
import { needsTscDeadline, workloadSchema } from "./workloads.js";
import { ERA_NAMES, eraAdvanceRule, eraHasHvTimer } from "./eras.js";
import { fromZodIssue, valueAt } from "./issues.js";
import { MAX_HOST_CPUS, loadSchema, outerSchema, pinSchema, schedParamsSchema } from "./host-sched.js";
import { KvmRefusedError } from "../errors.js";
import { DEFAULT_TSC_TOLERANCE_PPM, scaledTscKhz, tscFracBits, tscRatio } from "../math/tsc.js";
import { MAX_APIC_BUS_CYCLE_NS, DEFAULT_MIN_TIMER_PERIOD_US } from "../math/lapic-timer.js";
import { DEFAULT_PREEMPTION_TIMER_RATE } from "../math/hv-timer.js";
import { DEPTH_ALLOWED, nestsDeeperThan } from "./depth.js";
import { groupDigits } from "../group-digits.js";

export const MAX_VCPUS_PER_VM = 1_000_000;
/** CONFIG_HZ choices. */
export const KERNEL_HZ = [100, 250, 300, 1000] as const;
/** timer_advance_ns is a u32 (spec §5.2). */
const MAX_ADVANCE_NS = 0xffffffff;
/** vmx_setup_preemption_timer's "usable" bound with the classic max value 2^32-1 (spec §6.1). */
const PREEMPTION_TIMER_USABLE_MAX = Math.floor(0xffffffff / 10);

const TIMER_ADVANCE_ALLOWED = `"adaptive", "off", or a fixed duration such as "1us" (0 .. ${MAX_ADVANCE_NS} ns; timer_advance_ns is a u32)`;

/** kvm.timerAdvance: "adaptive" | "off" | a duration (0 means off, as lapic_timer_advance_ns = 0). */
const timerAdvanceSchema = z.union([z.string(), z.number()], { error: TIMER_ADVANCE_ALLOWED }).transform((v, ctx): TimerAdvance => {
  if (v === "adaptive" || v === "off") return { kind: v };
  const ns = duration({ maxNs: MAX_ADVANCE_NS }).safeParse(v);
  if (!ns.success) {
    ctx.addIssue({ code: "custom", message: TIMER_ADVANCE_ALLOWED, input: v });
    return z.NEVER;
  }
  return ns.data === 0 ? { kind: "off" } : { kind: "fixed", ns: ns.data };
});

const stallsSchema = strict({ every: duration({ minNs: 1 }), length: duration({ minNs: 1 }) }, 'null or {"every": duration, "length": duration}')
  .superRefine((s, ctx) => {
    if (s.length >= s.every) ctx.addIssue({ code: "custom", path: ["length"], message: `a duration shorter than every (${s.every} ns)`, input: s.length });
  })
  .nullable();

/** KVM_CAP_X86_DISABLE_EXITS bits, in the order KVM defines them. */
export const DISABLE_EXITS = ["mwait", "hlt", "pause", "cstate"] as const satisfies readonly DisabledExit[];

const vmSchema = strict(
  {
    name: text("a non-empty string").min(1).optional(),
    vcpus: intIn(1, MAX_VCPUS_PER_VM).prefault(1),
    /** Default: host.tscKhz (no KVM_SET_TSC_KHZ). */
    tscKhz: frequency().optional(),
    tscDeadline: bool().prefault(true),
    pollControl: bool().prefault(true),
    pauses: z
      .array(strict({ at: duration(), length: duration({ minNs: 1 }) }, 'a pause such as {"at": "1s", "length": "10s"}'), {
        error: 'a list of pauses such as [{"at": "1s", "length": "10s"}]',
      })
      .prefault([]),
    migrations: z
      .array(strict({ at: duration(), tscKhz: frequency() }, 'a migration such as {"at": "1s", "tscKhz": "3.5GHz"}'), {
        error: 'a list of migrations such as [{"at": "1s", "tscKhz": "3.5GHz"}]',
      })
      .prefault([]),
    disableExits: z
      .array(oneOf(DISABLE_EXITS), { error: `a list drawn from ${DISABLE_EXITS.map((x) => JSON.stringify(x)).join(", ")} (KVM_CAP_X86_DISABLE_EXITS)` })
      .prefault([]),
    workload: workloadSchema.prefault({ kind: "cyclictest" }),
    pin: pinSchema.prefault("spread"),
  },
  'a VM object such as {"vcpus": 4, "workload": {"kind": "cyclictest"}}',
);

/** The scenario file form. */
export const scenarioFileSchema = strict(
  {
    /** For editors (`tscsim schema scenario`); ignored. */
    $schema: text("a string (the JSON Schema's location, for editors)").optional(),
    name: text("a non-empty string").min(1).optional(),
    description: text().prefault(""),
    seed: intIn(0, 0xffffffff, " (a u32)").prefault(1),
    duration: duration({ minNs: 1 }).prefault("2s"),
    host: strict(
      {
        vendor: oneOf(["vmx", "svm"]).prefault("vmx"),
        tscKhz: frequency().prefault("2994MHz"),
        preemptionTimerRate: intIn(0, 31, " (IA32_VMX_MISC[4:0])").prefault(DEFAULT_PREEMPTION_TIMER_RATE),
        hz: z.literal(KERNEL_HZ, { error: `one of ${KERNEL_HZ.join(", ")} (CONFIG_HZ)` }).prefault(1000),
        delays: hostDelaysSchema,
        stalls: stallsSchema.prefault(null),
        cpus: z.union([intIn(1, MAX_HOST_CPUS), z.null()], { error: `an integer 1..${groupDigits(MAX_HOST_CPUS)}, or null (one per vCPU, no scheduler)` }).optional(),
        sched: schedParamsSchema.prefault({}),
        load: loadSchema.prefault([]),
        outer: outerSchema.prefault(null),
      },
      "an object",
    ).prefault({}),
    kvm: strict(
      {
        era: oneOf(ERA_NAMES).prefault("mainline"),
        /** Default: "off" for v4.0, "adaptive" otherwise. */
        timerAdvance: timerAdvanceSchema.optional(),
        hvTimer: bool().prefault(true),
        apicv: bool().prefault(true),
        minTimerPeriodUs: intIn(0, 0xffffffff, " µs (a u32)").prefault(DEFAULT_MIN_TIMER_PERIOD_US),
        tscTolerancePpm: intIn(0, 0x7fffffff, " ppm").prefault(DEFAULT_TSC_TOLERANCE_PPM),
        apicBusCycleNs: intIn(1, MAX_APIC_BUS_CYCLE_NS, " ns").prefault(1),
        /** Default: the era's (wrap before 2025, clamp in mainline). */
        periodicNegativeDelta: oneOf(["wrap", "skip-negative", "clamp"] as const).optional(),
        advanceOneshot: bool().prefault(false),
        lazyTscDeadline: bool().prefault(false),
        pvDeadline: bool().prefault(false),
        postedTimerInterrupts: bool().prefault(false),
        haltPoll: strict(
          {
            max: duration({ maxNs: 0xffffffff }).prefault(200_000),
            grow: intIn(0, 0xffffffff).prefault(2),
            growStart: duration({ maxNs: 0xffffffff }).prefault(10_000),
            shrink: intIn(0, 0xffffffff).prefault(0),
            dynamic: bool().prefault(true),
            maxStealPercent: z.union([intIn(0, 100), z.null()], { error: "a whole percentage 0..100, or null for the x86 rule" }).prefault(null),
          },
          'an object such as {"max": "200us", "grow": 2, "growStart": "10us", "shrink": 0}',
        ).prefault({}),
      },
      "an object",
    ).prefault({}),
    vms: z.array(vmSchema, { error: "a non-empty list of VM objects" }).min(1).prefault([{}]),
  },
  "a JSON object",
);

/** What a scenario file or preset may contain (every key optional where it has a default). */
export type ScenarioFile = z.input<typeof scenarioFileSchema>;
type Parsed = z.output<typeof scenarioFileSchema>;

/** Whether the scenario asks for the host scheduler (src/sim/host-sched.ts): otherwise each vCPU has a CPU of its own. */
export function usesHostScheduler(c: { host: { cpus?: number | null; load?: unknown[]; outer?: unknown }; vms: { pin?: unknown }[] }): boolean {
  return (c.host.cpus ?? null) !== null || (c.host.load ?? []).length > 0 || (c.host.outer ?? null) !== null || c.vms.some((vm) => (vm.pin ?? "spread") !== "spread");
}

/** Pins and loads name CPUs that exist; what the scheduler does not combine with. */
function checkHostCpus(p: Parsed, issue: (path: (string | number)[], allowed: string) => void): void {
  const total = p.vms.reduce((n, vm) => n + vm.vcpus, 0);
  const cpus = p.host.cpus ?? total;
  const sched = usesHostScheduler({ host: { cpus: p.host.cpus ?? null, load: p.host.load, outer: p.host.outer }, vms: p.vms });
  p.vms.forEach((vm, i) => {
    if (vm.pin === "spread") return;
    if (vm.pin.length !== vm.vcpus) issue(["vms", i, "pin"], `a list of ${vm.vcpus} host CPU indices (one per vCPU), or "spread"`);
    vm.pin.forEach((c, k) => {
      if (c >= cpus) issue(["vms", i, "pin", k], `a host CPU index 0..${cpus - 1} (host.cpus is ${cpus})`);
    });
    if (sched && vm.pauses.length > 0) issue(["vms", i, "pauses"], "[] with a host scheduler (host.cpus, host.load, host.outer or pins): stopped VMs on shared CPUs are not modelled");
  });
  const checkLoads = (loads: { cpus: number[] | "all" }[], n: number, at: (string | number)[]): void =>
    loads.forEach((l, i) => {
      if (l.cpus === "all") return;
      l.cpus.forEach((c, k) => {
        if (c >= n) issue([...at, i, "cpus", k], `a CPU index 0..${n - 1}`);
      });
    });
  checkLoads(p.host.load, cpus, ["host", "load"]);
  if (p.host.outer !== null) {
    const outer = p.host.outer;
    if (outer.pin !== "spread") {
      if (outer.pin.length !== cpus) issue(["host", "outer", "pin"], `a list of ${cpus} outer CPU indices (one per host CPU), or "spread"`);
      outer.pin.forEach((c, k) => {
        if (c >= outer.cpus) issue(["host", "outer", "pin", k], `an outer CPU index 0..${outer.cpus - 1}`);
      });
    }
    checkLoads(outer.load, outer.cpus, ["host", "outer", "load"]);
  }
  if (sched && p.host.stalls !== null) issue(["host", "stalls"], "null with a host scheduler (host.cpus, host.load, host.outer or pins): use host.load to take CPU time away");
}

/** Checks that span fields, and the defaults that depend on other fields. */
function crossCheck(p: Parsed, raw: unknown): { config: ScenarioConfig; issues: ScenarioIssue[] } {
  const issues: ScenarioIssue[] = [];
  const issue = (path: (string | number)[], allowed: string): void => void issues.push({ path: path.join("."), value: valueAt(raw, path), allowed });
  const { host, kvm } = p;

  const rule = eraAdvanceRule(kvm.era);
  const timerAdvance = kvm.timerAdvance ?? (kvm.era === "v4.0" ? { kind: "off" as const } : { kind: "adaptive" as const });
  if (!rule.allows.includes(timerAdvance.kind)) {
    const forms = rule.allows.map((k) => (k === "fixed" ? "a fixed duration" : JSON.stringify(k))).join(" or ");
    issue(["kvm", "timerAdvance"], `${forms} with kvm.era "${kvm.era}" (${rule.why})`);
  }
  // KVM_CAP_X86_APIC_BUS_CYCLES_NS arrived in ≈v6.11; before it the bus cycle is the constant 1 ns (spec §4.1).
  if (kvm.apicBusCycleNs !== 1 && kvm.era !== "mainline") {
    issue(["kvm", "apicBusCycleNs"], `1 with kvm.era "${kvm.era}" (KVM_CAP_X86_APIC_BUS_CYCLES_NS is mainline only)`);
  }
  // "Use the hv timer" means "when KVM would": never on SVM (spec §6.1), not before ≈v4.8,
  // and not when vmx_setup_preemption_timer finds it too fast for the 32-bit max value.
  const hvUsable = host.vendor === "vmx" && eraHasHvTimer(kvm.era) && Math.floor((host.tscKhz * 1000) / 2 ** host.preemptionTimerRate) <= PREEMPTION_TIMER_USABLE_MAX;

  // pi_inject_timer arrived in v5.3 (0c5f81dad46c) and needs HLT/MWAIT in the guest since v5.17: mainline only here.
  if (kvm.postedTimerInterrupts && kvm.era !== "mainline") issue(["kvm", "postedTimerInterrupts"], `false with kvm.era "${kvm.era}" (posted timer interrupts are modelled as mainline has them)`);
  const vms: VmConfig[] = [];
  const seenNames = new Map<string, number>();
  p.vms.forEach((vm, i) => {
    const name = vm.name ?? `vm${i}`;
    const first = seenNames.get(name);
    if (first !== undefined) issue(["vms", i, "name"], `a name no other VM has (vms.${first} is named ${JSON.stringify(name)}${p.vms[first]?.name === undefined ? " by default" : ""})`);
    seenNames.set(name, i);
    const tscKhz = vm.tscKhz ?? host.tscKhz;
    try {
      const { ratio } = tscRatio(tscKhz, host.tscKhz, host.vendor, { tolerancePpm: kvm.tscTolerancePpm });
      // Spec §3.4: kvmclock's guest rate is mul_u64_u64_shr(host kHz, ratio, N); at 0,
      // kvm_get_time_scale never terminates (the syzkaller hang of a 1 kHz guest).
      if (scaledTscKhz(host.tscKhz, ratio, tscFracBits(host.vendor)) === 0n) {
        issue(["vms", i, "tscKhz"], `a rate whose kvmclock rate through the ratio is not 0 kHz: KVM's kvmclock setup would never terminate for ${tscKhz} kHz on a ${host.tscKhz} kHz host`);
      }
    } catch (err) {
      if (!(err instanceof KvmRefusedError)) throw err;
      issue(["vms", i, "tscKhz"], `a rate KVM_SET_TSC_KHZ accepts: KVM refuses ${tscKhz} kHz (-EINVAL): ${err.reason}`);
    }
    // The PV deadline MSR exists only with the proposal: without it the guest's WRMSR
    // would do nothing here (a real guest takes #GP), and the guest would wait forever.
    if (vm.workload.kind === "cyclictest" && vm.workload.deadlineMsr === "pv" && !kvm.pvDeadline) {
      issue(["vms", i, "workload", "deadlineMsr"], `"tsc" unless kvm.pvDeadline is true (the PV deadline MSR exists only with the PV deadline proposal)`);
    }
    if (!vm.tscDeadline && needsTscDeadline(vm.workload)) {
      issue(["vms", i, "tscDeadline"], `true for workload kind "${vm.workload.kind}" (it arms IA32_TSC_DEADLINE, which needs the CPUID bit)`);
    }
    vm.pauses.forEach((pause, k) => {
      const prev = vm.pauses[k - 1];
      if (prev !== undefined && pause.at < prev.at + prev.length) {
        issue(["vms", i, "pauses", k, "at"], `at least ${prev.at + prev.length} ns (pauses sorted by time, not overlapping)`);
      }
    });
    const pauses = vm.pauses.map((pause) => ({ atNs: pause.at, lengthNs: pause.length }));
    vm.migrations.forEach((m, k) => {
      const prev = vm.migrations[k - 1];
      if (prev !== undefined && m.at < prev.at) issue(["vms", i, "migrations", k, "at"], `at least ${prev.at} ns (migrations sorted by time)`);
    });
    const migrations = vm.migrations.map((m) => ({ atNs: m.at, tscKhz: m.tscKhz }));
    // KVM_CAP_X86_DISABLE_EXITS arrived in v4.17 (MWAIT) and v4.18 (HLT, PAUSE).
    if (vm.disableExits.length > 0 && kvm.era === "v4.0") issue(["vms", i, "disableExits"], `[] with kvm.era "v4.0" (KVM_CAP_X86_DISABLE_EXITS arrived in v4.17)`);
    const disableExits = DISABLE_EXITS.filter((x) => vm.disableExits.includes(x));
    vms.push({ name, vcpus: vm.vcpus, tscKhz, tscDeadline: vm.tscDeadline, pollControl: vm.pollControl, pauses, migrations, disableExits, workload: vm.workload, pin: vm.pin });
  });
  checkHostCpus(p, issue);

  const config: ScenarioConfig = {
    name: p.name ?? "scenario",
    description: p.description,
    seed: p.seed,
    durationNs: p.duration,
    host: {
      vendor: host.vendor,
      tscKhz: host.tscKhz,
      preemptionTimerRate: host.preemptionTimerRate,
      hz: host.hz,
      delays: host.delays,
      stalls: host.stalls === null ? null : { everyNs: host.stalls.every, lengthNs: host.stalls.length },
      cpus: host.cpus ?? null,
      sched: host.sched,
      load: host.load,
      outer: host.outer,
    },
    kvm: {
      era: kvm.era,
      timerAdvance,
      hvTimer: kvm.hvTimer && hvUsable,
      apicv: kvm.apicv,
      minTimerPeriodUs: kvm.minTimerPeriodUs,
      tscTolerancePpm: kvm.tscTolerancePpm,
      apicBusCycleNs: kvm.apicBusCycleNs,
      periodicNegativeDelta: kvm.periodicNegativeDelta ?? null,
      advanceOneshot: kvm.advanceOneshot,
      lazyTscDeadline: kvm.lazyTscDeadline,
      pvDeadline: kvm.pvDeadline,
      postedTimerInterrupts: kvm.postedTimerInterrupts,
      haltPoll: {
        maxNs: kvm.haltPoll.max,
        grow: kvm.haltPoll.grow,
        growStartNs: kvm.haltPoll.growStart,
        shrink: kvm.haltPoll.shrink,
        dynamic: kvm.haltPoll.dynamic,
        maxStealPercent: kvm.haltPoll.maxStealPercent,
      },
    },
    vms,
  };
  return { config, issues };
}

/**
 * Validate a scenario in the file form, apply defaults and normalise units. Throws a
 * ScenarioError listing every problem (path, value, what is allowed). `source` (a
 * preset name or file path) only labels the error.
 */
/** One issue per problem: zod can report one twice (1e30 breaks both .int() and .max()). */
function distinctIssues(issues: readonly ScenarioIssue[]): ScenarioIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.path}\u0000${i.problem ?? ""}\u0000${i.allowed}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function validateScenario(raw: unknown, source?: string): ScenarioConfig {
  // Before the validator, which walks the value recursively.
  if (nestsDeeperThan(raw)) throw new ScenarioError([{ path: "", value: "(a deeply nested value)", problem: "nested too deeply", allowed: DEPTH_ALLOWED }], source);
  // Without zod's generated fast path (`new Function` per object schema, compiled on its
  // first parse): a process validates a scenario once or a few times, never enough for
  // the generated code to repay compiling it (~2 % of a short `tscsim run`'s start-up,
  // counted in instructions). Same results and issues either way.
  const parsed = scenarioFileSchema.safeParse(raw, { jitless: true });
  if (!parsed.success) throw new ScenarioError(distinctIssues(parsed.error.issues.flatMap((iss) => fromZodIssue(iss, raw))), source);
  const { config, issues } = crossCheck(parsed.data, raw);
  if (issues.length > 0) throw new ScenarioError(issues, source);
  return config;
}
