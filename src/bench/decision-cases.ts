// The advancement decisions a vCPU takes per timer event, timed one call at a time
// through the public API (the JS→wasm call with BigInt arguments and the API's argument
// checks): adjust_lapic_timer_advance, the busy-wait length before VM entry
// (__wait_lapic_expire), start_sw_tscdeadline's hrtimer expiry and vmx_set_hv_timer's
// preemption-timer value. They have no batch form in the wasm ABI, no BigInt twin in the
// package (the test suite's references are not shipped) and no C version: `tscsim bench`
// reports those variants as not available.

import { adjustTimerAdvance, busyWaitLength, startSwTscdeadline, vmxSetHvTimer } from "../index.js";
import { Xoshiro128 } from "./data.js";

export interface DecisionCase {
  id: string;
  /** The kernel function it restates. */
  kernel: string;
  params: Record<string, string | number>;
  /** Prepares `n` inputs from the seed; returns the op that makes one call per input. */
  prepare(seed: number, n: number): () => void;
}

const TSC_KHZ = 2_100_000;
const HOST_KHZ = 2_994_000;
const L1_RATIO = 0xb33333333333n;

function ints(seed: number, n: number, below: number): number[] {
  const rng = new Xoshiro128(seed);
  return Array.from({ length: n }, () => rng.nextU32() % below);
}

// A sink the calls' results go into, so that no engine can drop the calls as unused.
let sink = 0;
export function benchSink(): number {
  return sink;
}

export const DECISION_CASES: readonly DecisionCase[] = [
  {
    id: "adjust_lapic_timer_advance",
    kernel: "adjust_lapic_timer_advance (mainline rule)",
    params: { tscKhz: TSC_KHZ, advanceNs: "1000..4999", deltaCycles: "-20000..19999" },
    prepare(seed, n) {
      const adv = ints(seed, n, 4000).map((x) => 1000 + x);
      const delta = ints(seed + 1, n, 40000).map((x) => BigInt(x - 20000));
      return () => {
        for (let i = 0; i < n; i++) sink ^= adjustTimerAdvance(adv[i]!, delta[i]!, TSC_KHZ);
      };
    },
  },
  {
    id: "busy_wait_length",
    kernel: "__wait_lapic_expire (unscaled TSC: cycles to spin)",
    params: { tscKhz: TSC_KHZ, hostKhz: HOST_KHZ, advanceNs: 2000, guestCycles: "0..19999" },
    prepare(seed, n) {
      const cycles = ints(seed + 2, n, 20000).map(BigInt);
      return () => {
        for (let i = 0; i < n; i++) sink ^= Number(busyWaitLength({ guestCycles: cycles[i]!, advanceNs: 2000, tscKhz: TSC_KHZ, scaled: false, hostKhz: HOST_KHZ }).hostNs & 0xffffn);
      };
    },
  },
  {
    id: "sw_deadline",
    kernel: "start_sw_tscdeadline (hrtimer expiry)",
    params: { tscKhz: TSC_KHZ, advanceNs: 2000, deadline: "guest TSC + 0..2^21 cycles" },
    prepare(seed, n) {
      const guest = ints(seed + 3, n, 2 ** 30).map((x) => BigInt(x) * 1024n);
      const delta = ints(seed + 4, n, 2 ** 21).map(BigInt);
      const now = ints(seed + 5, n, 2 ** 30).map(BigInt);
      return () => {
        for (let i = 0; i < n; i++) {
          const d = startSwTscdeadline({ deadlineTsc: guest[i]! + delta[i]!, guestTsc: guest[i]!, tscKhz: TSC_KHZ, advanceNs: 2000, nowNs: now[i]! });
          sink ^= d.kind === "armed" ? Number(d.expiryNs & 0xffffn) : 1;
        }
      };
    },
  },
  {
    id: "hv_deadline",
    kernel: "vmx_set_hv_timer (preemption-timer value)",
    params: { tscKhz: TSC_KHZ, advanceNs: 2000, l1Ratio: `0x${L1_RATIO.toString(16)}`, deadline: "guest TSC + 0..2^21 cycles" },
    prepare(seed, n) {
      const host = ints(seed + 6, n, 2 ** 30).map((x) => BigInt(x) * 4096n);
      const guest = host.map((h) => (h * L1_RATIO) >> 48n);
      const delta = ints(seed + 7, n, 2 ** 21).map(BigInt);
      return () => {
        for (let i = 0; i < n; i++) {
          const r = vmxSetHvTimer({ deadlineTsc: guest[i]! + delta[i]!, guestTsc: guest[i]!, hostTsc: host[i]!, advanceNs: 2000, tscKhz: TSC_KHZ, l1Ratio: L1_RATIO });
          sink ^= r.status === "ok" ? r.timerValue & 0xffff : 2;
        }
      };
    },
  },
];
