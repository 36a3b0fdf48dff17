import { describe, expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { validateScenario } from "../src/scenario/schema.js";
import { PRESETS } from "../src/scenario/presets.js";
import { DELAY_NAMES } from "../src/scenario/delays.js";

const doc = readFileSync(new URL("../docs/scenario-format.md", import.meta.url), "utf8");

describe("docs/scenario-format.md", () => {
  test("the full example validates", () => {
    const block = /## Example\s+```json\n([\s\S]*?)```/.exec(doc);
    expect(block).not.toBeNull();
    const c = validateScenario(JSON.parse(block![1]!));
    expect(c.kvm.timerAdvance).toEqual({ kind: "fixed", ns: 2000 });
    expect(c.vms.map((v) => v.workload.kind)).toEqual(["cyclictest", "tscdeadline-latency", "periodic"]);
  });

  test("the mixture example validates", () => {
    const block = /```json\n(\{"dist": "mixture"[\s\S]*?)```/.exec(doc);
    expect(validateScenario({ host: { delays: { hrtimer: JSON.parse(block![1]!) } } }).host.delays.hrtimer.dist).toBe("mixture");
  });

  test("every preset and delay name is documented", () => {
    for (const p of PRESETS) expect(doc).toContain(`| \`${p.name}\` |`);
    for (const name of DELAY_NAMES) expect(doc).toContain(`| \`${name}\` |`);
  });
});
