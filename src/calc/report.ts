// What KVM computes for one host/guest TSC pair: the data behind `tscsim calc`.

import {
  busyWaitLength,
  cyclesToNs,
  kvmclockScale,
  maxGuestTscKhz,
  nsToCyclesScale,
  nsecToCycles,
  readL1Tsc,
  scaledTscKhz,
  startSwTscdeadline,
  tscFracBits,
  tscRatio,
  tscTolerance,
  vmxSetHvTimer,
  defaultTscRatio,
  type BusyWait,
  type HvTimerResult,
  type SwTscdeadlineDecision,
  type TimeScale,
  type Vendor,
} from "../index.js";

export interface CalcInput {
  hostKhz: number;
  guestKhz: number;
  vendor: Vendor;
  advanceNs: number;
  /** How far ahead the worked example's deadline is. */
  deadlineAheadNs: bigint;
  tolerancePpm: number;
}

export interface RoundTrip {
  ns: bigint;
  cycles: bigint;
  backNs: bigint;
  errorNs: bigint;
}

export interface CalcReport {
  input: CalcInput;
  fracBits: number;
  tolerance: { lowKhz: number; highKhz: number };
  ratio: bigint;
  ratioValue: number;
  scaling: boolean;
  maxGuestKhz: number;
  /** kvm_scale_tsc(host kHz): the guest rate kvmclock is computed from. */
  kvmclockGuestKhz: bigint;
  nsToCycles: TimeScale;
  kvmclock: TimeScale | undefined;
  advanceCycles: bigint;
  example: {
    hostTsc: bigint;
    guestTsc: bigint;
    deadlineTsc: bigint;
    sw: SwTscdeadlineDecision;
    hv: HvTimerResult | { status: "unavailable"; reason: string };
    /** Guest cycles left at the wait if the hrtimer fires on time and the vCPU enters at once. */
    waitGuestCycles: bigint;
    busyWait: BusyWait;
  };
  roundTrips: RoundTrip[];
}

/** host cycles elapsed in `ns` of host time: floor(ns * khz / 10^6). */
function hostCyclesIn(ns: bigint, hostKhz: number): bigint {
  return (ns * BigInt(hostKhz)) / 1_000_000n;
}

export function calcReport(input: CalcInput): CalcReport {
  const fracBits = tscFracBits(input.vendor);
  const { ratio, scaling } = tscRatio(input.guestKhz, input.hostKhz, input.vendor, { tolerancePpm: input.tolerancePpm });
  const nsToCycles = nsToCyclesScale(input.guestKhz);
  const kvmclockGuestKhz = scaledTscKhz(input.hostKhz, ratio, fracBits);
  const kvmclock = kvmclockGuestKhz > 0n && kvmclockGuestKhz <= 0xffffffffn ? kvmclockScale(Number(kvmclockGuestKhz)) : undefined;
  const advanceCycles = nsecToCycles(BigInt(input.advanceNs), input.guestKhz);

  // Worked example: host TSC at 10^12 cycles, L1 offset 0, deadline `deadlineAheadNs` ahead.
  const hostTsc = 1_000_000_000_000n;
  const nowNs = 1_000_000_000_000n;
  const guestTsc = readL1Tsc(hostTsc, ratio, 0n, fracBits);
  const deadlineTsc = guestTsc + nsecToCycles(input.deadlineAheadNs, input.guestKhz);
  const sw = startSwTscdeadline({ deadlineTsc, guestTsc, tscKhz: input.guestKhz, advanceNs: input.advanceNs, nowNs });
  const hv: CalcReport["example"]["hv"] =
    input.vendor === "vmx"
      ? vmxSetHvTimer({ deadlineTsc, guestTsc, hostTsc, advanceNs: input.advanceNs, tscKhz: input.guestKhz, l1Ratio: ratio })
      : { status: "unavailable", reason: "SVM has no preemption timer: the hrtimer is always used" };
  const fireNs = sw.kind === "armed" ? sw.expiryNs : nowNs;
  const guestAtFire = readL1Tsc(hostTsc + hostCyclesIn(fireNs - nowNs, input.hostKhz), ratio, 0n, fracBits);
  const waitGuestCycles = deadlineTsc > guestAtFire ? deadlineTsc - guestAtFire : 0n;
  const busyWait = busyWaitLength({
    guestCycles: waitGuestCycles,
    advanceNs: input.advanceNs,
    tscKhz: input.guestKhz,
    scaled: ratio !== defaultTscRatio(input.vendor),
    hostKhz: input.hostKhz,
  });

  const roundTrips = [1n, 1000n, 1_000_000n, 1_000_000_000n].map((ns) => {
    const cycles = nsecToCycles(ns, input.guestKhz);
    const backNs = cyclesToNs(cycles, input.guestKhz);
    return { ns, cycles, backNs, errorNs: backNs - ns };
  });

  return {
    input,
    fracBits,
    tolerance: tscTolerance(input.hostKhz, input.tolerancePpm),
    ratio,
    ratioValue: Number(ratio) / 2 ** fracBits,
    scaling,
    maxGuestKhz: maxGuestTscKhz(input.hostKhz, input.vendor),
    kvmclockGuestKhz,
    nsToCycles,
    kvmclock,
    advanceCycles,
    example: { hostTsc, guestTsc, deadlineTsc, sw, hv, waitGuestCycles, busyWait },
    roundTrips,
  };
}
