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
