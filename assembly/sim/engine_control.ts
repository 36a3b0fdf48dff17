// Pauses and migrations of a VM on the wasm engine (vms.<i>.pauses, vms.<i>.migrations):
// src/sim/vcpu.ts's Vcpu.pause, resume and migrate, and LapicTimer.rearmAfterMigration,
// step for step. A paused VM's vCPU threads stop (their events wait, the latest one kept)
// while the host's hrtimers go on firing; a migration lands the VM on a host whose TSC
// runs at another rate (vcpuMigrateTsc) and re-arms the timer the way it was armed
// (kvm_apic_set_state: a TSC deadline keeps its value, a one-shot/periodic count restarts
// from TMCCT).
//
// The lists are per VM (cells 24-27 say where a VM's entries are); per vCPU only how many
// migrations it has taken and the thread event a pause holds back (a side array of
// CTRL_STRIDE bytes, allocated only when some VM pauses or migrates).

import { simNowNs } from "./host_clock";
import { queuePush } from "./event_queue";
import { tdIsZero } from "./vcpu_regs";
import { pvDeadlineFromReg, pvDeadlineIsSet, pvDeadlineToReg, vcpuMigrateTsc } from "./deadline_proposals";

import { EV_GUEST_RESUME, F_HV_IN_USE, F_PENDING, HRTIMER_SEQ, STATE, S_EXIT, S_GUEST, clear, has, payloadOf, schedule, set, vmCell, setState } from "./engine_record";
import { cancelHrtimer, cancelHvTimer } from "./engine_lapic";
import { TM_DEADLINE, restartFromTmcct, timerMode } from "./engine_lapic_count";

import { TraceKind, trace } from "./trace_log";
import { engineKeepNsExtremes, nsExtremesBytes } from "./metrics_ns_extremes";
import { engineKeepLatenessRuns, latenessRunsBytes } from "./engine_lateness";

import { leaveGuest } from "./engine_leave_guest";
import { restartApicTimer } from "./engine_lapic_start";
import { pvOn } from "./engine_proposals";

// Event kinds (src/sim/events.ts).
export const EV_PAUSE: u32 = 12;
export const EV_RESUME: u32 = 13;
export const EV_MIGRATE: u32 = 14;

// Per-VM cells 24-27: the VM's first entry and count in the migration and pause lists.
export const VM_MIGRATION_FIRST = 24;
export const VM_MIGRATIONS = 25;
export const VM_PAUSE_FIRST = 26;
export const VM_PAUSES = 27;

/** The VM is stopped: the vCPU thread's events wait (Vcpu.paused). */
export const F_PAUSED: u32 = 1 << 19;

// List entries: a migration is [atNs f64, ratio u64, tscKhz u32 + pad], a pause [atNs f64, lengthNs f64].
const MIGRATION_BYTES: usize = 24;
const PAUSE_BYTES: usize = 16;
// Per vCPU: migrations taken (u32), the held-back thread event kind (u8; Vcpu.deferred);
// with migrations also the latency ns extremes (metrics_ns_extremes.ts engineKeepNsExtremes);
// with a periodic timer the per-period lateness runs (engineKeepLatenessRuns).
const CTRL_STRIDE: usize = 8;
const CTRL_TAKEN: usize = 0;
const CTRL_DEFERRED: usize = 4;

let reservedMigrations: i32 = 0;
let reservedPauses: i32 = 0;
/** Some VM runs a periodic timer: the per-period lateness runs (engine_metrics.ts). */
let reservedLatenessRuns: bool = false;
let latenessRunsPtr: usize = 0;
let migrationsPtr: usize = 0;
let pausesPtr: usize = 0;
let perVcpuPtr: usize = 0;
/** The latency ns extremes metrics_ns_extremes.ts keeps when some VM migrates. */
let nsExtremesPtr: usize = 0;
let migrationCount: i32 = 0;
let pauseCount: i32 = 0;

/** Whether the run has pauses or migrations (then the engine does not chain steps: engine_loop.ts). */
export let controlOn: bool = false;

/**
 * How many list entries the next simulation needs, and whether it keeps per-period
 * lateness runs, said before simMemoryReserve (0, 0, false: none).
 */
export function ctEngineControlReserve(migrations: i32, pauses: i32, latenessRuns: bool): void {
  reservedMigrations = migrations;
  reservedPauses = pauses;
  reservedLatenessRuns = latenessRuns;
}

/** Bytes ctEngineControlInit allocates for n vCPUs (simMemoryReserve). */
export function controlBytes(n: i32): usize {
  const runs = reservedLatenessRuns ? latenessRunsBytes(n) : 0;
  if (reservedMigrations == 0 && reservedPauses == 0) return runs;
  return usize(reservedMigrations) * MIGRATION_BYTES + usize(reservedPauses) * PAUSE_BYTES + usize(max(n, 1)) * CTRL_STRIDE + (reservedMigrations > 0 ? nsExtremesBytes(n) : 0) + runs;
}

export function controlRelease(): void {
  if (migrationsPtr != 0) heap.free(migrationsPtr);
  if (pausesPtr != 0) heap.free(pausesPtr);
  if (perVcpuPtr != 0) heap.free(perVcpuPtr);
  if (nsExtremesPtr != 0) heap.free(nsExtremesPtr);
  if (latenessRunsPtr != 0) heap.free(latenessRunsPtr);
  nsExtremesPtr = 0;
  latenessRunsPtr = 0;
  engineKeepNsExtremes(0, 0);
  engineKeepLatenessRuns(0, 0);
  migrationsPtr = 0;
  pausesPtr = 0;
  perVcpuPtr = 0;
  controlOn = false;
}

/** The lists for the reserved entries and the per-vCPU arrays (after ctEngineInit and engineMetricsInit). */
export function ctEngineControlInit(n: i32): void {
  controlRelease();
  migrationCount = 0;
  pauseCount = 0;
  controlOn = reservedMigrations > 0 || reservedPauses > 0;
  if (reservedLatenessRuns) {
    latenessRunsPtr = heap.alloc(latenessRunsBytes(n));
    engineKeepLatenessRuns(latenessRunsPtr, n);
  }
  if (!controlOn) return;
  if (reservedMigrations > 0) migrationsPtr = heap.alloc(usize(reservedMigrations) * MIGRATION_BYTES);
  if (reservedPauses > 0) pausesPtr = heap.alloc(usize(reservedPauses) * PAUSE_BYTES);
  const bytes = usize(max(n, 1)) * CTRL_STRIDE;
  perVcpuPtr = heap.alloc(bytes);
  memory.fill(perVcpuPtr, 0, bytes);
  if (reservedMigrations == 0) return;
  nsExtremesPtr = heap.alloc(nsExtremesBytes(n));
  engineKeepNsExtremes(nsExtremesPtr, n);
}

/** Appends a migration (VM order, then time order); returns its index. */
export function ctEngineAddMigration(atNs: f64, ratio: u64, tscKhz: u32): i32 {
  const p = migrationsPtr + usize(migrationCount) * MIGRATION_BYTES;
  store<f64>(p, atNs);
  store<u64>(p, ratio, 8);
  store<u32>(p, tscKhz, 16);
  return migrationCount++;
}

/** Appends a pause (VM order, then time order); returns its index. */
export function ctEngineAddPause(atNs: f64, lengthNs: f64): i32 {
  const p = pausesPtr + usize(pauseCount) * PAUSE_BYTES;
  store<f64>(p, atNs);
  store<f64>(p, lengthNs, 8);
  return pauseCount++;
}

// @ts-ignore: decorator
@inline
function ctrl(v: i32): usize {
  return perVcpuPtr + usize(v) * CTRL_STRIDE;
}

/** Vcpu.start's control events, after the thread's first event and the stall: migrations, then each pause and its resume. */
export function scheduleControl(e: usize, v: i32): void {
  const m0 = i32(vmCell(e, VM_MIGRATION_FIRST));
  const m1 = m0 + i32(vmCell(e, VM_MIGRATIONS));
  for (let k = m0; k < m1; k++) queuePush(simNowNs + i64(load<f64>(migrationsPtr + usize(k) * MIGRATION_BYTES)), payloadOf(EV_MIGRATE, v));
  const p0 = i32(vmCell(e, VM_PAUSE_FIRST));
  const p1 = p0 + i32(vmCell(e, VM_PAUSES));
  for (let k = p0; k < p1; k++) {
    const p = pausesPtr + usize(k) * PAUSE_BYTES;
    const at = load<f64>(p);
    queuePush(simNowNs + i64(at), payloadOf(EV_PAUSE, v));
    queuePush(simNowNs + i64(at + load<f64>(p, 8)), payloadOf(EV_RESUME, v));
  }
}

/** Vcpu.onEvent for a pause, a resume or a migration. */
export function onControlEvent(e: usize, v: i32, kind: u32): void {
  if (kind == EV_PAUSE) pause(e, v);
  else if (kind == EV_RESUME) resume(e, v);
  else migrate(e, v);
}

/** A thread event while paused: it waits for the resume (the latest one; Vcpu.deferred). */
// @ts-ignore: decorator
@inline
export function holdWhilePaused(e: usize, v: i32, kind: u32): bool {
  if (!has(e, F_PAUSED)) return false;
  store<u8>(ctrl(v) + CTRL_DEFERRED, u8(kind));
  return true;
}

/** Vcpu.pause: a vCPU in guest mode leaves it and re-enters on resume. */
function pause(e: usize, v: i32): void {
  set(e, F_PAUSED);
  if (load<u8>(e + STATE) != S_GUEST) return;
  leaveGuest(e);
  setState(e, S_EXIT);
  store<u8>(ctrl(v) + CTRL_DEFERRED, u8(EV_GUEST_RESUME));
}

/** Vcpu.resume. */
function resume(e: usize, v: i32): void {
  clear(e, F_PAUSED);
  const kind = u32(load<u8>(ctrl(v) + CTRL_DEFERRED));
  store<u8>(ctrl(v) + CTRL_DEFERRED, 0);
  if (kind != 0) schedule(e, v, kind, 0);
}

/** Vcpu.migrate: the VM's next migration, for this vCPU. */
function migrate(e: usize, v: i32): void {
  const taken = load<u32>(ctrl(v) + CTRL_TAKEN);
  if (i32(taken) >= i32(vmCell(e, VM_MIGRATIONS))) return;
  store<u32>(ctrl(v) + CTRL_TAKEN, taken + 1);
  const m = migrationsPtr + usize(i32(vmCell(e, VM_MIGRATION_FIRST)) + i32(taken)) * MIGRATION_BYTES;
  const inGuest = load<u8>(e + STATE) == S_GUEST;
  if (inGuest) leaveGuest(e);
  vcpuMigrateTsc(v, load<u64>(m, 8), load<u32>(m, 16));
  rearmAfterMigration(e, v);
  if (inGuest) {
    setState(e, S_EXIT);
    schedule(e, v, EV_GUEST_RESUME, 0);
  }
}

/** The register a migration's PV re-arm converts through (Vcpu's SCRATCH_REG; the full records that kvm.pvDeadline uses have it). */
const SCRATCH_REG = 7;

/**
 * LapicTimer.rearmAfterMigration: one-shot/periodic restart from TMCCT; a deadline is
 * re-armed the way it was armed (seed 003): it is armed exactly while tscdeadline is
 * non-zero, and through the PV MSR exactly while the PV ns deadline is also set, which
 * is then converted again at the new TSC rate; a TSC deadline keeps its value.
 */
function rearmAfterMigration(e: usize, v: i32): void {
  if (timerMode(e) != TM_DEADLINE) {
    restartFromTmcct(e, v);
    return;
  }
  if (tdIsZero(v)) return;
  cancelHrtimer(e, v);
  if (has(e, F_HV_IN_USE)) cancelHvTimer(e, v);
  if (pvOn && pvDeadlineIsSet(v)) {
    pvDeadlineToReg(v, SCRATCH_REG);
    pvDeadlineFromReg(v, SCRATCH_REG);
  }
  if (!has(e, F_PENDING)) restartApicTimer(e, v);
}
