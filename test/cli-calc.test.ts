import { describe, expect, test } from "vitest";
import { cyclesToNs, nsecToCycles, u64ShlDivU64 } from "../src/index.js";
import { tscsim } from "./cli.js";

describe("tscsim calc", () => {
  test("default pair prints the ratio, scales and the worked example", () => {
    const r = tscsim("calc");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("host 2,994,000 kHz");
    expect(r.stdout).toContain("guest 2,100,000 kHz");
    expect(r.stdout).toMatch(/ratio\s+0xb38f225f6c3f = 197427338374207/);
    expect(r.stdout).toMatch(/ns -> guest cycles\s+mult 0x86666666 \(2254857830\), shift 2/);
    expect(r.stdout).toContain("1000 ns = 2099 guest cycles");
    expect(r.stdout).toContain("preemption-timer value");
    expect(r.stdout).toContain("1,000 ns                       2,099 cycles -> 999 ns (error -1 ns)");
  });

  test("--json carries the spec's golden values for a 3 GHz host", () => {
    const r = tscsim("calc", "--host", "3GHz", "--guest", "2.1GHz", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ratio).toBe(String(0xb33333333333n));
    expect(j.scaling).toBe(true);
    expect(j.maxGuestKhz).toBe(2147483647);
    expect(j.tolerance).toEqual({ lowKhz: 2999250, highKhz: 3000750 });
    expect(j.nsToCycles).toEqual({ shift: 2, mult: 0x86666666 });
    expect(j.advanceCycles).toBe("2099");
  });

  test("the worked example is wired through the kernel functions (1 ms deadline, A = 1000 ns)", () => {
    const j = JSON.parse(tscsim("calc", "--host", "3GHz", "--guest", "2.1GHz", "--json").stdout);
    const guestDelta = BigInt(j.example.deadlineTsc) - BigInt(j.example.guestTsc);
    expect(guestDelta).toBe(nsecToCycles(1_000_000n, 2_100_000));
    // start_sw_tscdeadline: now + do_div(delta) - advance.
    expect(BigInt(j.example.sw.expiryNs) - 1_000_000_000_000n).toBe(cyclesToNs(guestDelta, 2_100_000) - 1000n);
    // vmx_set_hv_timer: (delta - nsec_to_cycles(A)) through the L1 ratio, value = >> 5.
    const host = u64ShlDivU64(guestDelta - 2099n, 48, 0xb33333333333n)!;
    expect(j.example.hv).toMatchObject({ status: "ok", advanceCycles: "2099", deltaHostCycles: String(host), timerValue: Number(host >> 5n), expired: false });
    // The wait is bounded by the advance: ndelay(min(u32(ns), 1000)) = 3493 host cycles at 3 GHz (spec §1.7).
    expect(j.example.busyWait).toMatchObject({ kind: "scaled", delayNs: 1000, hostCycles: "3493" });
  });

  test("within the ±250 ppm window there is no scaling, SVM has no hv timer", () => {
    const r = tscsim("calc", "--host", "3000000", "--guest", "3000750kHz", "--vendor", "svm", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.scaling).toBe(false);
    expect(j.ratio).toBe(String(1n << 32n));
    expect(j.example.hv.status).toBe("unavailable");
    expect(j.example.busyWait.kind).toBe("unscaled");
  });

  test.each([
    [["calc", "--bogus"], /unknown option '--bogus'/],
    [["calc", "--host", "2.1XHz"], /--host = "2.1XHz": allowed a frequency/],
    [["calc", "--guest", "0"], /--guest = "0" is out of range/],
    [["calc", "--vendor", "arm"], /--vendor = "arm"/],
    [["calc", "--advance", "1.5ns"], /--advance = "1.5ns"/],
    [["calc", "--host", "1kHz", "--guest", "3GHz"], /KVM refuses userKhz = 3000000 \(-EINVAL\)/],
    [["frobnicate"], /unknown command 'frobnicate'/],
  ])("%j exits 2 with one clear line", (args, message) => {
    const r = tscsim(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
