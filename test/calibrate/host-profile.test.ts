// Host profiles: `tscsim run --host FILE` and a sweep's "host" key lay the fitted delays
// over the scenario's host.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { applyHostProfile, readHostProfile } from "../../src/calibrate/host-file.js";
import { ScenarioError } from "../../src/scenario/errors.js";
import { parseSweep } from "../../src/sweep/file.js";
import { loadWithHost } from "../../src/cli/run-action.js";
import { tscsim } from "../cli.js";

const dir = mkdtempSync(join(tmpdir(), "tscsim-host-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
};
const FIXED = { dist: "fixed", value: "2500ns" };

describe("host profiles", () => {
  test("delays replace the scenario's name by name; other host keys stay unless named", () => {
    const raw = { name: "x", host: { tscKhz: "2GHz", delays: { hrtimer: FIXED, wakeup: FIXED } } };
    const out = applyHostProfile(raw, { delays: { wakeup: { dist: "fixed", value: "9us" } } }) as typeof raw;
    expect(out.host.tscKhz).toBe("2GHz");
    expect(out.host.delays).toEqual({ hrtimer: FIXED, wakeup: { dist: "fixed", value: "9us" } });
    expect(raw.host.delays.wakeup).toBe(FIXED); // not modified
  });

  test("a profile file, or a whole scenario whose host is taken", () => {
    expect(readHostProfile(write("p.json", JSON.stringify({ delays: { hrtimer: FIXED } })))).toEqual({ delays: { hrtimer: FIXED } });
    expect(readHostProfile(write("s.json", JSON.stringify({ name: "s", host: { delays: { wakeup: FIXED } } })))).toEqual({ delays: { wakeup: FIXED } });
    expect(() => readHostProfile(join(dir, "missing.json"))).toThrow(/no such file/);
    expect(() => readHostProfile(write("bad.json", "[1]"))).toThrow(ScenarioError);
    expect(() => readHostProfile(write("bad2.json", '{"delays": 3}'))).toThrow(/"delays" is not an object/);
  });

  test("run --host: the profile's delays are in the validated scenario, and --set still wins", async () => {
    const f = write("h.json", JSON.stringify({ delays: { hrtimer: FIXED } }));
    expect((await loadWithHost("cyclictest", [], f)).host.delays.hrtimer).toEqual({ dist: "fixed", valueNs: 2500 });
    expect((await loadWithHost("cyclictest", ['host.delays.hrtimer={"dist":"fixed","value":"1us"}'], f)).host.delays.hrtimer).toEqual({ dist: "fixed", valueNs: 1000 });
    const bad = write("hbad.json", JSON.stringify({ delays: { hrtimer: { dist: "lognormal", median: "2us" } } }));
    const r = tscsim("run", "cyclictest", "--host", bad, "--set", "duration=1ms");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/host\.delays\.hrtimer\.p99/);
  });

  test('a sweep\'s "host" (relative to the sweep file) changes the base and its digest', () => {
    write("sh.json", JSON.stringify({ delays: { wakeup: FIXED } }));
    const sweepFile = join(dir, "sweep.json");
    const plain = parseSweep({ base: "cyclictest" }, sweepFile);
    const withHost = parseSweep({ base: "cyclictest", host: "sh.json" }, sweepFile);
    expect((withHost.base.raw as { host: { delays: { wakeup: unknown } } }).host.delays.wakeup).toEqual(FIXED);
    expect(withHost.base.digest).not.toBe(plain.base.digest);
    expect(() => parseSweep({ base: "cyclictest", host: "nope.json" }, sweepFile)).toThrow(/host/);
    expect(() => parseSweep({ base: "cyclictest", host: 5 }, sweepFile)).toThrow(/host profile file path/);
  });
});
