// tscsim's public API (package root).

export { InputRangeError, InputTypeError, KvmRefusedError, DivideErrorTrap } from "./errors.js";
export { mulU64U64Shr, mulS64U64Shr, mulU64U64DivU64, mulU64U32Div, u64ShlDivU64, doDiv, pvclockScaleDelta } from "./math/math64.js";
export { getTimeScale, nsToCyclesScale, kvmclockScale, nsecToCycles, cyclesToNs, type TimeScale } from "./math/time-scale.js";
export {
  DEFAULT_TSC_TOLERANCE_PPM,
  tscFracBits,
  defaultTscRatio,
  maxTscRatio,
  maxGuestTscKhz,
  tscTolerance,
  tscRatio,
  scaleTsc,
  readL1Tsc,
  computeL1TscOffset,
  nestedTscMultiplier,
  nestedTscOffset,
  scaledTscKhz,
  type Vendor,
  type TscRatioOptions,
} from "./math/tsc.js";
export {
  MAX_APIC_BUS_CYCLE_NS,
  DEFAULT_MIN_TIMER_PERIOD_US,
  tdcrDivide,
  tmictToNs,
  applyPeriodicFloor,
  tmcct,
  startSwTscdeadline,
  advancePeriodicTarget,
  type TmcctInput,
  type SwTscdeadlineInput,
  type SwTscdeadlineDecision,
  type PeriodicRearmVariant,
  type PeriodicRearmInput,
} from "./math/lapic-timer.js";
export {
  TIMER_ADVANCE,
  adjustTimerAdvance,
  adjustTimerAdvanceLegacy,
  ndelayLoops,
  busyWaitLength,
  type LegacyTunerEra,
  type BusyWaitInput,
  type BusyWait,
} from "./math/advance.js";
export {
  DEFAULT_PREEMPTION_TIMER_RATE,
  PREEMPTION_TIMER_MAX_VALUE,
  vmxSetHvTimer,
  preemptionTimerValue,
  type HvTimerInput,
  type HvTimerResult,
} from "./math/hv-timer.js";
export {
  u64Array,
  u8Array,
  freeU64Array,
  batchMulU64U64Shr,
  batchScaleTsc,
  batchCyclesToNs,
  batchNsecToCycles,
  batchU64ShlDivU64,
} from "./math/batch.js";
export { wasmVariant } from "./wasm.js";
export { runScenario, runScenarioStreamed, type RunOptions, type ScenarioRun, type StreamedScenarioRun, type StreamedRunResult } from "./sim/run.js";
export { VcpuResultList } from "./metrics/vcpu-result-list.js";
export { Simulation, START_NS } from "./sim/engine.js";
export { Exit, type GuestCtx, type GuestProgram, type GuestGenerator } from "./sim/guest.js";
export * as apic from "./sim/apic-regs.js";
export { loadScenario } from "./scenario/load.js";
export { validateScenario } from "./scenario/schema.js";
export { ScenarioError } from "./scenario/errors.js";
export type { ScenarioConfig, Workload, DelayDist, Era } from "./scenario/types.js";
export type { RunResult, RunMetrics, VcpuResult } from "./metrics/types.js";
export type { HostSchedResult, SchedCpuResult, SchedOuterCpuResult, SchedVcpuResult, RunQueueWait } from "./metrics/sched-types.js";
