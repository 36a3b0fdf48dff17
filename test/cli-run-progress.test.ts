// `tscsim run`'s estimate line and progress line (issue #13 target 3). Nothing here depends
// on the machine's speed: the estimate's per-interrupt costs are injected, the progress
// stream is a stand-in terminal, and what is checked is what is written, not when.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadScenario } from "../src/scenario/load.js";
import { DEFAULT_RUN_COSTS, estimateLine, estimateRun, formatWall, type RunCosts } from "../src/cli/run-estimate.js";
import { runAction, type RunActionDeps } from "../src/cli/run-action.js";
import type { RunCliOptions } from "../src/cli/run.js";
import { createRunProgress, formatSimulated, type ProgressStream } from "../src/cli/run-progress.js";

const dir = mkdtempSync(join(tmpdir(), "tscsim-run-progress-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const UNIT: RunCosts = { wasmNsPerInterrupt: 1, tsNsPerInterrupt: 10, resultNsPerVcpu: 100 };

class FakeStream implements ProgressStream {
  readonly chunks: string[] = [];
  constructor(readonly isTTY: boolean) {}
  columns = 120;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  cursorTo(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
  get text(): string {
    return this.chunks.join("");
  }
}

describe("estimateRun", () => {
  test("cyclictest: vCPUs × simulated time ÷ interval, at the engine's cost per interrupt", () => {
    const config = loadScenario("cyclictest", ["vms.0.vcpus=8", "duration=2s", "vms.0.workload.interval=500us"]);
    const e = estimateRun(config, "wasm", UNIT);
    expect(e.interrupts).toBe(8 * 4000);
    expect(e.vcpus).toBe(8);
    expect(e.wallMs).toBeCloseTo((8 * 4000 * 1 + 8 * 100) / 1e6, 12);
    expect(estimateRun(config, "ts", UNIT).wallMs).toBeCloseTo((8 * 4000 * 10 + 8 * 100) / 1e6, 12);
  });

  test("a rearm storm's interrupts cost more with each rewrite of its deadline", () => {
    const storm = (rewrites: number) => loadScenario("s15-lazy-tscdeadline", ["vms.0.vcpus=4", "duration=1s", `vms.0.workload.rewrites=${rewrites}`]);
    const none = estimateRun(storm(0), "wasm", UNIT);
    const four = estimateRun(storm(4), "wasm", UNIT);
    expect(four.interrupts).toBe(none.interrupts);
    expect(none.wallMs).toBeCloseTo((none.interrupts + 4 * 100) / 1e6, 12);
    expect(four.wallMs).toBeCloseTo((none.interrupts * (1 + 0.09 * 4) + 4 * 100) / 1e6, 12);
  });

  test("a loop count caps the interrupts; an idle nohz guest asks for none", () => {
    const loops = loadScenario("cyclictest", ["vms.0.vcpus=2", "duration=10s", "vms.0.workload.loops=100"]);
    expect(estimateRun(loops, "wasm", UNIT).interrupts).toBe(200);
    const nohz = loadScenario("s18-idle-tick", ["vms.0.workload.nohz=true"]);
    expect(estimateRun(nohz, "ts", UNIT).interrupts).toBe(0);
  });

  test("LVTT periodic: the period is floored at min_timer_period_us (the periodic-floor preset asks for 100 us)", () => {
    const config = loadScenario("periodic-floor", ["duration=1s"]);
    expect(estimateRun(config, "ts", UNIT).interrupts).toBe(1e9 / (config.kvm.minTimerPeriodUs * 1000));
  });

  test("every preset gets a finite, non-negative estimate", () => {
    for (const name of ["default", "cyclictest", "tscdeadline-latency", "s10-periodic-negative-delta", "s15-lazy-tscdeadline", "s14-oneshot-vs-deadline"]) {
      const e = estimateRun(loadScenario(name), "ts", DEFAULT_RUN_COSTS);
      expect(Number.isFinite(e.wallMs) && e.wallMs >= 0, name).toBe(true);
    }
  });
});

describe("estimateLine", () => {
  const e = { interrupts: 25_600_000, vcpus: 512, wallMs: 11_520 };

  test("nothing for a run expected to take 10 s or less", () => {
    expect(estimateLine({ ...e, wallMs: 10_000 }, "wasm", true)).toBeNull();
  });

  test("one line naming the time, the interrupts, the vCPUs and the engine; 'progress below' on a terminal only", () => {
    expect(estimateLine(e, "wasm", true)).toBe("tscsim: estimated 12 s (25.6 M guest timer interrupts on 512 vCPUs, wasm engine); progress below");
    expect(estimateLine(e, "wasm", false)).toBe("tscsim: estimated 12 s (25.6 M guest timer interrupts on 512 vCPUs, wasm engine)");
  });

  test.each([
    [12_000, "12 s"],
    [600_000, "10.0 min"],
    [7_200_000, "2.0 h"],
  ])("formatWall(%d) = %s", (ms, text) => expect(formatWall(ms)).toBe(text));
});

describe("createRunProgress", () => {
  test("draws nothing and asks the simulation for no reports when the stream is not a terminal", () => {
    const s = new FakeStream(false);
    const p = createRunProgress(1e9, s);
    expect(p.simulation).toBeNull();
    p.stop();
    expect(s.text).toBe("");
  });

  test("on a terminal: a bar of simulated time", () => {
    const s = new FakeStream(true);
    const p = createRunProgress(2e9, s, 1000);
    expect(p.simulation?.everyEvents).toBe(1000);
    p.simulation!.report(5e8, 1000);
    p.stop();
    expect(s.text).toContain("25%");
    expect(s.text).toContain(`${formatSimulated(5e8)} of ${formatSimulated(2e9)} simulated`);
  });
});

function opts(out: string, engine: string, format = "json"): RunCliOptions {
  return { set: ["vms.0.vcpus=4", "duration=50ms"], format, out, wallTime: false, engine, histograms: true, histogramSize: "1000" };
}

describe("runAction with an estimate over the threshold", () => {
  // Costs that make any run "long": the estimate line and the progress line appear.
  const slow: RunCosts = { wasmNsPerInterrupt: 1e9, tsNsPerInterrupt: 1e9, resultNsPerVcpu: 0 };

  test.each(["wasm", "ts"])("%s engine: on a terminal, the estimate and the progress go to stderr and the result's bytes do not change", async (engine) => {
    const plain = join(dir, `plain-${engine}.json`);
    const quiet = new FakeStream(false);
    await runAction("cyclictest", opts(plain, engine), { costs: DEFAULT_RUN_COSTS, stderr: quiet, progressEveryEvents: 1 << 18 });
    expect(quiet.text).toBe("");

    const withProgress = join(dir, `progress-${engine}.json`);
    const tty = new FakeStream(true);
    // Reports every 64 events: the wasm engine returns to the host dozens of times.
    const deps: RunActionDeps = { costs: slow, stderr: tty, progressEveryEvents: 64 };
    await runAction("cyclictest", opts(withProgress, engine), deps);
    expect(tty.chunks[0]).toMatch(/^tscsim: estimated .* guest timer interrupts on 4 vCPUs, (wasm|ts) engine\); progress below\n$/);
    expect(tty.text).toContain("simulated | ETA");
    expect(readFileSync(withProgress)).toEqual(readFileSync(plain));
  });

  test("a shared-host scenario (the wasm engine's scheduler log returns too): the same bytes with progress returns", async () => {
    const o = (out: string): RunCliOptions => ({ set: ["duration=20ms"], format: "json", out, wallTime: false, engine: "auto", histograms: true, histogramSize: "1000" });
    const plain = join(dir, "sched-plain.json");
    await runAction("overcommit-poll", o(plain), { costs: DEFAULT_RUN_COSTS, stderr: new FakeStream(false), progressEveryEvents: 1 << 18 });
    const withProgress = join(dir, "sched-progress.json");
    const tty = new FakeStream(true);
    await runAction("overcommit-poll", o(withProgress), { costs: slow, stderr: tty, progressEveryEvents: 32 });
    expect(tty.text).toContain("simulated | ETA");
    expect(readFileSync(withProgress)).toEqual(readFileSync(plain));
  });

  test("off a terminal: the estimate line only, no progress", async () => {
    const out = join(dir, "piped.json");
    const piped = new FakeStream(false);
    await runAction("cyclictest", opts(out, "wasm"), { costs: slow, stderr: piped, progressEveryEvents: 64 });
    expect(piped.chunks).toHaveLength(1);
    expect(piped.chunks[0]).toMatch(/^tscsim: estimated .*wasm engine\)\n$/);
  });
});
