// `tscsim run` writes per-vCPU results as it makes them (issue #13 target 3): the same
// bytes as the whole result written at once — the JSON (with a vCPU's text from one
// template, src/report/vcpu-json.ts) and the table with the guests' printed lines.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { loadScenario } from "../src/scenario/load.js";
import { runScenario, runScenarioStreamed } from "../src/sim/run.js";
import { prettyText, renderJson, stableJson, writeJsonStream } from "../src/report/json.js";
import { renderTable, writeTableReport } from "../src/report/table.js";
import { writeVcpuResult } from "../src/report/vcpu-json.js";
import { JsonBytes, jsonBytesText } from "../src/report/json-bytes.js";
import type { VcpuResult } from "../src/metrics/types.js";
import { vcpuResult } from "./vcpu-result-arbitrary.js";

const CASES: [string, string[]][] = [
  // Per-vCPU histograms (percentiles per vCPU), printed summary lines, advance series.
  ["cyclictest", ["duration=20ms"]],
  // Shared histograms (min/mean/max per vCPU), two VMs.
  ["default", ["vms.0.vcpus=40", "vms.1.vcpus=40", "duration=5ms"]],
  // Periodic timers: per-period lateness per vCPU (the TypeScript engine).
  ["s10-periodic-negative-delta", ["duration=200ms"]],
];

function streamedText(produce: (write: (chunk: string | Uint8Array) => void) => void): string {
  const chunks: Buffer[] = [];
  produce((c) => chunks.push(typeof c === "string" ? Buffer.from(c, "utf8") : Buffer.from(c)));
  return Buffer.concat(chunks).toString("utf8");
}

/** writeVcpuResult's text, or undefined where it writes nothing (another shape). */
function templateText(v: VcpuResult, indent: string): string | undefined {
  let written = true;
  const text = jsonBytesText((out: JsonBytes) => {
    written = writeVcpuResult(out, v, indent, (value, at) => out.text(prettyText(value, at)));
  });
  if (!written) expect(text).toBe("");
  return written ? text : undefined;
}

describe("results streamed per vCPU", () => {
  test.each(CASES)("%s: the JSON and the table are the whole result's bytes", (preset, sets) => {
    const config = loadScenario(preset, sets);
    const whole = runScenario(config);
    const streamed = runScenarioStreamed(config);
    expect(streamedText((w) => writeJsonStream(streamed.result, { includeWallMs: false }, w))).toBe(renderJson(whole.result, { includeWallMs: false }));
    // The table as `tscsim run` printed it before: printed lines, a blank line, the table.
    const printed = whole.output.flatMap((o) => o.lines);
    const expected = [...printed, ...(printed.length > 0 ? [""] : []), renderTable({ ...whole.result, wallMs: 1 })].join("\n");
    expect(streamedText((w) => writeTableReport(streamed.output, { ...streamed.result, wallMs: 1 }, w))).toBe(expected);
  });
});

describe("a vCPU's result from one template", () => {
  test("the generic writer's bytes for any values of summary()'s shape, at any indent", () => {
    fc.assert(
      fc.property(vcpuResult, fc.constantFrom("", "  ", "    "), (v, indent) => {
        expect(templateText(v, indent)).toBe(prettyText(v, indent));
      }),
    );
  });

  test("another shape is left to the generic writer", () => {
    expect(templateText({ vm: 0, vcpu: 0 } as unknown as VcpuResult, "")).toBeUndefined();
    expect(prettyText({ b: 1, a: [1, 2] }, "")).toBe(stableJson({ b: 1, a: [1, 2] }));
  });
});

describe("the wasm engine's totals read when the results are written", () => {
  const config = () => loadScenario("cyclictest", ["vms.0.vcpus=100", "duration=3ms"]);

  test("the streamed run reads vCPUs 1.. from the engine: the same result as collectors made at the end", () => {
    const streamed = runScenarioStreamed(config(), { engine: "wasm" });
    const json = streamedText((w) => writeJsonStream(streamed.result, { includeWallMs: false }, w));
    expect(json).toBe(renderJson(runScenario(config(), { engine: "wasm" }).result, { includeWallMs: false }));
    expect(JSON.parse(json).vcpus).toHaveLength(100);
  });

  test("read after another simulation started: an error, never another run's totals", () => {
    const streamed = runScenarioStreamed(config(), { engine: "wasm" });
    runScenario(config(), { engine: "wasm" });
    expect(() => streamed.result.vcpus.at(5)).toThrow(/after another simulation started/);
  });
});
