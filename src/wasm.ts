// The one binding module: the only importer of the generated wasm bindings
// (architecture.md, "One binding module"). Selects the build with TSCSIM_WASM
// ("debug" for tests, "release" otherwise) and fails fast if an export is missing.

import type * as Bindings from "../build/release.js";

export type WasmExports = typeof Bindings;

const REQUIRED_EXPORTS = [
  "memory",
  "Status",
  "mulU64U64Shr",
  "mulS64U64Shr",
  "mulU64U64DivU64",
  "u64ShlDivU64",
  "doDiv",
  "pvclockScaleDelta",
  "getHi64",
  "getRem64",
  "getTimeScale",
  "getTimeScaleShift",
  "nsecToCycles",
  "nsecToCyclesScaled",
  "cyclesToNs",
  "maxGuestTscKhz",
  "adjustTscKhz",
  "tscRatio",
  "getRatioOut",
  "getRatioScaling",
  "scaleTsc",
  "readL1Tsc",
  "computeL1TscOffset",
  "nestedTscMultiplier",
  "nestedTscOffset",
  "SwDeadline",
  "PeriodicRearm",
  "tdcrDivide",
  "tmictToNs",
  "applyPeriodicFloor",
  "tmcct",
  "startSwTscdeadline",
  "advancePeriodicTarget",
  "getSwExpiryNs",
  "getRearmTargetNs",
  "getRearmDeadlineTsc",
  "TunerEra",
  "adjustTimerAdvance",
  "adjustTimerAdvanceLegacy",
  "getTunerDone",
  "ndelayLoops",
  "busyWaitUnscaledCycles",
  "busyWaitScaledNs",
  "vmxSetHvTimer",
  "hvAdvanceCycles",
  "preemptionTimerValue",
  "getHvDeltaHostCycles",
  "getHvDeadlineHostTsc",
  "getHvExpired",
  "allocBytes",
  "freeBytes",
  "batchMulU64U64Shr",
  "batchScaleTsc",
  "batchCyclesToNs",
  "batchNsecToCycles",
  "batchU64ShlDivU64",
  "setHostClock",
  "nowF64",
  "queueReset",
  "queuePushIn",
  "queuePop",
  "queueSetHorizon",
  "queuePoppedSeq",
  "queueSize",
  "vcpuStride",
  "vcpuStateInit",
  "vcpuSetTsc",
  "vcpuSetAdvance",
  "vcpuAdvance",
  "gRdtsc",
  "gAddImm",
  "gSetImm",
  "gDiff",
  "gGet",
  "tdToReg",
  "tdFromReg",
  "tdIsZero",
  "tdClear",
  "expiredTdLatch",
  "expiredTdIsSet",
  "swTscdeadlineArm",
  "pushAtSwExpiry",
  "pushAtTarget",
  "pushAtExpiryPlusPeriod",
  "setTargetExpiration",
  "reapplyPeriodicFloor",
  "periodIsZero",
  "targetPassed",
  "targetClear",
  "clearPeriod",
  "periodicRearm",
  "periodicRearmLegacyDrift",
  "updateTargetExpiration",
  "readTmcct",
  "hvArm",
  "hvCancel",
  "pushAtPreemption",
  "waitLapicExpire",
  "cyclesToNsSigned",
  "lazyGuestWrite",
  "lazyArm",
  "lazyClearArmed",
  "lazyArmedIsSet",
  "lazyRearmIfLater",
  "setKvmclockEpoch",
  "kvmclockNowF64",
  "pvDeadlineFromReg",
  "pvDeadlineToReg",
  "pvDeadlineClear",
  "gKvmclock",
  "vcpuMigrateTsc",
  "nsToCyclesSigned",
] as const satisfies readonly (keyof WasmExports)[];

/** Which build is loaded: "debug" (assertions on) or "release". */
export const wasmVariant: "debug" | "release" = process.env.TSCSIM_WASM === "debug" ? "debug" : "release";

async function load(): Promise<WasmExports> {
  const url = new URL(`../build/${wasmVariant}.js`, import.meta.url);
  let mod: WasmExports;
  try {
    mod = (await import(url.href)) as WasmExports;
  } catch (err) {
    throw new Error(
      `tscsim: cannot load the ${wasmVariant} wasm build at ${url.pathname} (run \`npm run asbuild\`): ${(err as Error).message}`,
    );
  }
  const missing = REQUIRED_EXPORTS.filter((name) => (mod as Record<string, unknown>)[name] === undefined);
  if (missing.length > 0) {
    throw new Error(`tscsim: the ${wasmVariant} wasm build lacks exports: ${missing.join(", ")} (rebuild with \`npm run asbuild\`)`);
  }
  return mod;
}

/** The loaded wasm module's exports. */
export const wasm: WasmExports = await load();
