// `tscsim --version` and `calc --format json` (the same --format as the other commands).

import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { tscsim } from "./cli.js";

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

test("--version prints package.json's version", () => {
  const r = tscsim("--version");
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.trim()).toBe(version);
});

test("calc --format json is --json's report; --format table is the default text; a bad format exits 2", () => {
  const a = tscsim("calc", "--format", "json");
  const b = tscsim("calc", "--json");
  expect(a.code, a.stderr).toBe(0);
  expect(JSON.parse(a.stdout)).toEqual(JSON.parse(b.stdout));
  expect(JSON.parse(a.stdout).ratio).toBeDefined();
  const bad = tscsim("calc", "--format", "yaml");
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("--format");
});
