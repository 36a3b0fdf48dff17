import { expect, test } from "vitest";
import { writeFileSync } from "node:fs";
import { runScenario } from "/work/main/src/sim/run.js";
test("repro", () => {
  const c: any = {"name":"test","description":"","seed":0,"durationNs":30000000,"host":{"vendor":"vmx","tscKhz":3000000,"preemptionTimerRate":5,"hz":1000,"stalls":null,"delays":{"hrtimer":{"dist":"mixture","parts":[{"weight":1,"part":{"dist":"lognormal","medianNs":100,"p99Ns":100}}]},"wakeup":{"dist":"uniform","minNs":0,"maxNs":0},"vmExit":{"dist":"empirical","samplesNs":[0]},"vmEntry":{"dist":"uniform","minNs":0,"maxNs":0},"irqDispatch":{"dist":"normal","meanNs":0,"sdNs":0},"msrExit":{"dist":"uniform","minNs":0,"maxNs":0},"cpuIdleExit":{"dist":"empirical","samplesNs":[0]}}},"kvm":{"era":"v4.0","timerAdvance":{"kind":"off"},"hvTimer":false,"apicv":false,"minTimerPeriodUs":200,"tscTolerancePpm":250,"apicBusCycleNs":1,"periodicNegativeDelta":null,"advanceOneshot":false,"lazyTscDeadline":false,"pvDeadline":false,"postedTimerInterrupts":false,"haltPoll":{"maxNs":0,"grow":0,"growStartNs":1000,"shrink":0,"dynamic":false,"maxStealPercent":null}},"vms":[{"name":"vm0","vcpus":1,"tscKhz":3000000,"tscDeadline":true,"pollControl":false,"pauses":[],"migrations":[{"atNs":0,"tscKhz":2500000}],"disableExits":[],"workload":{"kind":"cyclictest","intervalNs":100000,"loops":0,"printSummary":false,"deadlineMsr":"tsc","workNs":0,"idle":"halt"}}]};
  const total = c.vms.reduce((n: number, vm: any) => n + vm.vcpus, 0);
  const shared = { ...c, host: { ...c.host, cpus: total } };
  const a = runScenario(shared, { engine: "ts", perVcpuHistograms: true });
  const b = runScenario(c, { engine: "wasm", perVcpuHistograms: true });
  const t = runScenario(c, { engine: "ts", perVcpuHistograms: true });
  const w = runScenario(shared, { engine: "wasm", perVcpuHistograms: true }); writeFileSync("/tmp/rp/a.json", JSON.stringify(a.result,null,1)); writeFileSync("/tmp/rp/t.json", JSON.stringify(t.result,null,1)); console.log("wasm+sched", w.result.events, "ts+sched events", a.result.events, "wasm", b.result.events, "ts", t.result.events);
});
