// The wasm ABI: re-exports only. Implementations live in files named after what they model.

export { Status } from "./status";
export {
  mulU64U64Shr,
  mulS64U64Shr,
  mulU64U64DivU64,
  u64ShlDivU64,
  divU128U64,
  doDiv,
  pvclockScaleDelta,
  getHi64,
  getRem64,
} from "./math64";
export { getTimeScale, getTimeScaleShift, nsToCyclesMult, nsecToCycles, nsecToCyclesScaled, cyclesToNs } from "./time_scale";
export {
  maxTscScalingRatio,
  maxGuestTscKhz,
  adjustTscKhz,
  tscRatio,
  getRatioOut,
  getRatioScaling,
  scaleTsc,
  readL1Tsc,
  computeL1TscOffset,
  nestedTscMultiplier,
  nestedTscOffset,
} from "./tsc_scaling";
export {
  SwDeadline,
  PeriodicRearm,
  tdcrDivide,
  tmictToNs,
  applyPeriodicFloor,
  tmcct,
  startSwTscdeadline,
  advancePeriodicTarget,
  getSwExpiryNs,
  getRearmTargetNs,
  getRearmDeadlineTsc,
} from "./lapic_timer";
export {
  TunerEra,
  adjustTimerAdvance,
  adjustTimerAdvanceLegacy,
  getTunerDone,
  ndelayLoops,
  busyWaitUnscaledCycles,
  busyWaitScaledNs,
  busyWaitV40Cycles,
} from "./timer_advance";
export {
  vmxSetHvTimer,
  vmxSetHvTimerCached,
  hvAdvanceCycles,
  preemptionTimerValue,
  getHvDeltaHostCycles,
  getHvDeadlineHostTsc,
  getHvExpired,
} from "./hv_timer";
export {
  allocBytes,
  freeBytes,
  batchMulU64U64Shr,
  batchScaleTsc,
  batchCyclesToNs,
  batchNsecToCycles,
} from "./batch";
export { batchU64ShlDivU64 } from "./shl_div_batch";
export { setHostClock, setNowNs, nowF64, nsWhenHostTscReaches } from "./sim/host_clock";
export { queueReset, queueSetNextSeq, queuePush, queuePushIn, queuePop, queueSetHorizon, queueSize, queuePoppedSeq, queuePushedSeq, queuePeekNs, queueReserveSeq, queuePushAs } from "./sim/event_queue";
export {
  EraCode,
  vcpuStride,
  vcpuStateInit,
  vcpuSetTsc,
  vcpuSetAdvance,
  vcpuAdvance,
  lastWaitDelta,
  waitLapicExpire,
  cyclesToNsSigned,
  nsToCyclesSigned,
} from "./sim/vcpu_timer";
export {
  gRdtsc,
  gAddImm,
  gSetImm,
  gDiff,
  gGet,
  gSet,
  tdToReg,
  tdFromReg,
  tdIsZero,
  tdClear,
  expiredTdLatch,
  expiredTdIsSet,
  expiredTdClear,
} from "./sim/vcpu_regs";
export {
  swTscdeadlineArm,
  pushAtSwExpiry,
  pushAtTarget,
  pushAtExpiryPlusPeriod,
  swExpiryInNs,
  setTargetExpiration,
  setTargetExpirationFromCount,
  reapplyPeriodicFloor,
  periodIsZero,
  periodNsF64,
  targetPassed,
  targetClear,
  clearPeriod,
  periodicRearm,
  periodicRearmLegacyDrift,
  updateTargetExpiration,
  readTmcct,
} from "./sim/vcpu_sw_timer";
export {
  hvArm,
  hvCancel,
  pushAtPreemption,
  lastPreemptionAtNs,
} from "./sim/vcpu_hv_timer";
export {
  lazyGuestWrite,
  lazyArm,
  lazyClearArmed,
  lazyRearmIfLater,
  setKvmclockEpoch,
  pvDeadlineFromReg,
  pvDeadlineToReg,
  pvDeadlineClear,
  gKvmclock,
  vcpuMigrateTsc,
} from "./sim/deadline_proposals";
export { rngStreamsInit, rngDrawU32, rngDrawFloat } from "./sim/rng_streams";
export { DelayNode, delayProgramInit, delaySetRoot, delayZigguratInit, sampleDelay, sampleDelayNode } from "./sim/delay_samplers";
export { Count, LogRecord, M_STRIDE, LOG_CAPACITY, engineMetricsInit, engineSetSeriesCap, engineSetCount, engineLogPtr, engineLogCount, engineLogClear } from "./sim/engine_metrics";
export { Counter, Slot, SLOTS, engineSlotsOf } from "./sim/metrics_slots";
export { HIST_CELLS, HIST_HALF_MAGNITUDE, engineHistNsPtr, engineHistCyclesPtr } from "./sim/metrics_histogram";
export { engineCallbacksPtr, engineCallbacksLatestMs, engineCallbacksPeak, CALLBACK_WINDOW_MS } from "./sim/metrics_callback_ring";
export { ctEngineConfigure, ctEngineEraFlags, ctEngineHaltPoll, ctEngineInit, ctEngineSetVm, ctEngineSetVmCell, ctEngineSetVcpu, ESTRIDE, VM_WORKLOAD, VM_CT_INTERVAL_NS, VM_TDL_DELTA_CYCLES, VM_TDL_SIZE, VM_TDL_BREAKMAX_CYCLES, VM_TDL_SAMPLES_BASE, VM_TDL_FIRST_VCPU, VM_RS_INTERVAL_CYCLES, VM_RS_REWRITES, VM_RS_SPACING_NS, WK_CYCLICTEST, WK_TSCDEADLINE_LATENCY, WK_REARM_STORM, WK_IDLE_NOHZ, WK_PERIODIC, WK_ONESHOT, WK_CYCLICTEST_PV } from "./sim/engine_record";
export { ctEngineEvents, ctEngineStart, ctEngineRun, ctEnginePlainCyclictest, ctEnginePlainCopy, ctEngineAllowPlain } from "./sim/engine_loop";
export { COPY_GENERAL, COPY_CYCLICTEST, COPY_REARM_STORM, COPY_REARM_STORM_LAZY, COPY_CYCLICTEST_PROPOSALS, COPY_TSCDEADLINE_LATENCY } from "./sim/engine_program";
export { ctEngineSetYieldEvery } from "./sim/engine_yield";
export { engineFlushLatenessRuns, engineLatenessTotals } from "./sim/engine_lateness";
export { ctEngineControlReserve, ctEngineControlInit, ctEngineAddMigration, ctEngineAddPause, VM_MIGRATION_FIRST, VM_MIGRATIONS, VM_PAUSE_FIRST, VM_PAUSES } from "./sim/engine_control";
export { ctEngineLapicConfigure, VM_TIMER_MODE, VM_TMICT, VM_TDCR, VM_PERIOD_CYCLES, VM_GAP_NS, VM_WAIT_BUSY, TM_DEADLINE, TM_ONESHOT, TM_PERIODIC } from "./sim/engine_lapic_count";
export { ctEngineStats } from "./sim/guest_cyclictest";
export { ctEngineTdlHitMax } from "./sim/guest_tscdeadline_latency";
export { ctEngineDeadlineProposals } from "./sim/engine_deadline";
export { guestStatePlan, guestStateInit, ctEngineSamplesPtr } from "./sim/guest_tscdl_state";
export { simMemoryReserve } from "./sim/sim_memory";
export { schedEnginePlan, schedEngineInit, schedEngineSetLoad, schedEngineFinish, schedEngineVcpuStealNs, schedEngineNoPollSteal, schedWaitLogPtr, schedWaitLogCount, schedWaitLogClear } from "./sim/engine_sched_state";
export {
  Placement,
  schedAccount,
  schedSetActivity,
  schedActivity,
  schedMoveCpuNs,
  schedCpuNs,
  schedEnqueue,
  schedWakeupPreempts,
  schedSliceNs,
  schedTickPreempts,
  schedNextTickNs,
  schedSwitch,
  schedLastWaitNs,
  schedCurr,
  schedQueued,
  schedTaskCpu,
  schedTaskState,
  schedTaskVruntime,
  schedTaskWaitSumNs,
  schedTaskWaits,
} from "./sim/host_sched";
export {
  Activity,
  TaskState,
  schedInit,
  schedRelease,
  schedSetTaskCpu,
  schedLayout,
} from "./sim/host_sched_state";
export {
  schedLeftmost,
} from "./sim/host_sched_queue";
export { schedSetStolen, schedStealPercent } from "./sim/steal_average";
export { TraceKind, TraceExit, TRACE_CAPACITY, traceEnable, traceEvent, traceLogPtr, traceLogCount, traceLogClear } from "./sim/trace_log";
export { probeVcpuRecords, probeVcpuStride, probeVmCells, probeStreams, probeDelayProgram, probeDelayRoot, probeZiggurat, probeEngineRecords, probeConfig } from "./sim/bench_probe";
