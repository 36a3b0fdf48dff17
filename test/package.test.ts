// The package as users get it: what `npm pack` ships (docs, the release wasm, the chart
// bundle; not the debug build, not source maps of sources it does not ship), and the
// Dockerfile's install steps run for real — pack, then a global install with production
// dependencies into a temporary prefix — so that `tscsim` lands on PATH and runs. (No
// docker engine is needed: these are the commands the Dockerfile's stages run.)

import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
const dir = mkdtempSync(join(tmpdir(), "tscsim-pack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function npm(args: string[], cwd = root): string {
  return execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_update_notifier: "false" } });
}

describe("npm pack", () => {
  const [listing] = JSON.parse(npm(["pack", "--dry-run", "--json", "--ignore-scripts"])) as [{ files: { path: string }[] }];
  const files = listing.files.map((f) => f.path);

  test("ships the CLI, the sweep's bundled worker, the release wasm, the chart bundle, the docs, the licence and the C bench", () => {
    for (const f of ["dist/bundle/tscsim.cjs", "dist/bundle/cli.cjs", "dist/bundle/sweep-worker.cjs", "dist/bundle/sweep-worker-code.cjs", "dist/cli/main.js", "dist/index.js", "dist/index.d.ts", "build/release.wasm", "build/release.js", "build/echarts-report.min.js", "README.md", "LICENSE", "docs/report.md", "docs/api.md", "docs/kvm-timer-model.md", "src/bench/native/kernels.c", "Dockerfile"]) {
      expect(files, f).toContain(f);
    }
  });

  test("not the debug build, source maps, the .wat text or the TypeScript sources", () => {
    expect(files.filter((f) => /debug|\.map$|\.wat$/.test(f) || (f.startsWith("src/") && f.endsWith(".ts")))).toEqual([]);
  });
});

describe("the Dockerfile's install steps", () => {
  test("the Dockerfile packs, then installs globally with production dependencies", () => {
    const docker = readFileSync(join(root, "Dockerfile"), "utf8");
    expect(docker).toContain("npm pack --ignore-scripts");
    expect(docker).toContain("npm install -g --omit=dev --ignore-scripts");
  });

  test("pack + install -g into a prefix: tscsim is on that PATH and simulates", () => {
    const packed = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", dir])) as [{ filename: string }];
    const prefix = join(dir, "prefix");
    npm(["install", "-g", "--prefix", prefix, "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline", join(dir, packed[0].filename)], dir);
    const env = { ...process.env, PATH: `${join(prefix, "bin")}:${process.env.PATH}`, TSCSIM_WASM: "" };
    const version = spawnSync("tscsim", ["--version"], { env, encoding: "utf8", cwd: dir });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(pkg.version);
    const run = spawnSync("tscsim", ["run", "cyclictest", "--set", "duration=20ms", "--format", "json", "--no-wall-time"], { env, encoding: "utf8", cwd: dir });
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.tscsim).toMatchObject({ version: pkg.version, wasm: "release" });
    expect(result.interrupts).toBeGreaterThan(0);
    // A sweep: its workers are the bundled worker (dist/bundle/sweep-worker.cjs and its
    // code, sweep-worker-code.cjs), in a pool that finds piscina among the installed
    // package's dependencies.
    writeFileSync(join(dir, "sweep.json"), JSON.stringify({ base: "cyclictest", set: { duration: "2ms", "vms.0.vcpus": 1, "kvm.era": "v5.4" }, axes: { "kvm.timerAdvance": [0, 1000] } }));
    const sweep = spawnSync("tscsim", ["sweep", "sweep.json", "--out", "sweep.jsonl", "--workers", "2", "--no-progress"], { env, encoding: "utf8", cwd: dir });
    expect(sweep.status, sweep.stderr).toBe(0);
    const lines = readFileSync(join(dir, "sweep.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { status: string; result: { interrupts: number } });
    expect(lines.map((l) => [l.status, l.result.interrupts > 0])).toEqual([
      ["ok", true],
      ["ok", true],
    ]);
  });
});
