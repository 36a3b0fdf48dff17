// scripts/prepare.mjs (npm's `prepare`): the build is skipped only when build/ and dist/
// were made from the same sources. Run in --check mode on temporary trees (no build).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, expect, test } from "vitest";

const SCRIPT = join(import.meta.dirname, "..", "scripts", "prepare.mjs");
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function put(root: string, file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

/** A tree with sources and every output the script looks for. */
function tree(): string {
  const root = mkdtempSync(join(tmpdir(), "tscsim-prepare-"));
  dirs.push(root);
  put(root, "package.json", "{}\n");
  put(root, "src/a.ts", "export const a = 1;\n");
  put(root, "assembly/b.ts", "export const b = 2;\n");
  for (const f of ["build/debug.wasm", "build/release.wasm", "dist/index.js", "dist/bundle/tscsim.cjs", "dist/bundle/cli.cjs"]) put(root, f, "");
  return root;
}

function check(root: string, env: Record<string, string> = {}): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, "--check"], { env: { ...process.env, TSCSIM_PREPARE_ROOT: root, TSCSIM_FORCE_BUILD: "", ...env }, encoding: "utf8" });
  return { status: r.status, out: r.stdout.trim() };
}

/** The stamp a build of this tree would leave: the inputs' hash, as the script prints it. */
function stampAsBuilt(root: string): void {
  const probe = spawnSync(process.execPath, [SCRIPT, "--check"], { env: { ...process.env, TSCSIM_PREPARE_ROOT: root, TSCSIM_PREPARE_PRINT_HASH: "1" }, encoding: "utf8" });
  const hash = /^hash ([0-9a-f]{64})$/m.exec(probe.stdout)?.[1];
  expect(hash).toBeDefined();
  put(root, "build/.prepare-stamp", `${hash}\n`);
}

test("no stamp: a build is due", () => {
  const root = tree();
  expect(check(root)).toEqual({ status: 3, out: "build due (no stamp)" });
});

test("a stamp of the same sources, the outputs present: up to date; TSCSIM_FORCE_BUILD=1 builds anyway", () => {
  const root = tree();
  stampAsBuilt(root);
  expect(check(root)).toEqual({ status: 0, out: "up to date" });
  expect(check(root, { TSCSIM_FORCE_BUILD: "1" })).toEqual({ status: 3, out: "build due (forced)" });
});

test("a source changed, or an output missing: a build is due", () => {
  const root = tree();
  stampAsBuilt(root);
  put(root, "assembly/b.ts", "export const b = 3;\n");
  expect(check(root)).toEqual({ status: 3, out: "build due (the sources changed)" });
  stampAsBuilt(root);
  expect(check(root).status).toBe(0);
  rmSync(join(root, "dist/bundle/tscsim.cjs"));
  expect(check(root)).toEqual({ status: 3, out: "build due (an output is missing)" });
});
