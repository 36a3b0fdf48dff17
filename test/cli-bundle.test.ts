// The `tscsim` bin is an esbuild bundle (scripts/bundle-cli.mjs) that leaves parts of its
// dependencies out or defers them (hdr-histogram-js's wasm build and pako, zod's unused
// exports, commander's child_process, zlib until a histogram is compressed). It must
// answer byte for byte as the unbundled CLI does: results with compressed histograms, a
// comparison, and a user error's one line. Needs `npm run build` (dist/).

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const BUNDLE = "dist/bundle/tscsim.cjs";
const UNBUNDLED = "dist/cli/main.js";
const built = existsSync(`${root}/${BUNDLE}`) && existsSync(`${root}/${UNBUNDLED}`);

function cli(bin: string, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", env: { ...process.env, TSCSIM_WASM: "debug" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!built)("the bundled CLI against dist/cli/main.js (after npm run build)", () => {
  test.each([
    ["run, JSON with histograms", ["run", "cyclictest", "--set", "vms.0.vcpus=2", "--set", "duration=5ms", "--format", "json", "--histograms", "--no-wall-time"]],
    ["compare, JSON", ["compare", "cyclictest", "--a", "kvm.era=v5.4", "--b", "kvm.era=mainline", "--set", "duration=5ms", "--format", "json"]],
    ["a bad --set", ["run", "cyclictest", "--set", "vms.0.vcpus=0"]],
    ["--help", ["--help"]],
  ])("%s: same exit code, stdout and stderr", (_what, args) => {
    const bundled = cli(BUNDLE, args);
    const unbundled = cli(UNBUNDLED, args);
    expect(bundled).toEqual(unbundled);
    expect(bundled.code === 0 ? bundled.stdout.length : bundled.stderr).toBeTruthy();
    // The histograms are compressed (node:zlib, which the bundle loads on first use).
    if (args.includes("--histograms")) expect(JSON.parse(bundled.stdout).histograms.all).toMatch(/^HISTFAA/);
  });
});

describe.skipIf(!built)("the bin's earlier name, dist/bundle/tscsim.js (npx keeps links to it)", () => {
  test("answers as the bin: a run's result and a user error's one line", () => {
    for (const args of [["run", "cyclictest", "--set", "vms.0.vcpus=1", "--set", "duration=2ms", "--format", "json", "--no-wall-time"], ["run", "cyclictst"]]) {
      const old = cli("dist/bundle/tscsim.js", args);
      expect(old).toEqual(cli(BUNDLE, args));
      expect(old.code === 0 ? old.stdout : old.stderr).toMatch(old.code === 0 ? /cyclictest/ : /unknown preset "cyclictst"/);
    }
  });
});
