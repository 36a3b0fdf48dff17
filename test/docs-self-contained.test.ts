// What users read stands on its own: README, docs/ and the CLI's messages cite no file
// users do not have (the maintainers' spec under shared/, its § numbers).

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const docs = ["README.md", ...readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

/** Lines of TypeScript that are not comments (string literals are what users see). */
function codeLines(file: string): string[] {
  return readFileSync(join(root, file), "utf8")
    .split("\n")
    .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
    .map((l) => l.replace(/\/\/.*$/, ""));
}

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(`${dir}/${e.name}`) : e.name.endsWith(".ts") ? [`${dir}/${e.name}`] : []));
}

describe("self-contained documentation", () => {
  test.each(docs)("%s cites nothing under shared/ and no spec section", (file) => {
    const text = readFileSync(join(root, file), "utf8");
    expect(text).not.toMatch(/shared\//);
    expect(text).not.toMatch(/§/);
    expect(text).not.toMatch(/seed-history/);
  });

  test("docs/kvm-timer-model.md explains the path and is linked from the README", () => {
    const model = readFileSync(join(root, "docs/kvm-timer-model.md"), "utf8");
    for (const fn of ["start_sw_tscdeadline", "vmx_set_hv_timer", "kvm_wait_lapic_expire", "adjust_lapic_timer_advance", "kvm_set_tsc_khz", "advance_periodic_target_expiration"]) expect(model).toContain(fn);
    expect(readFileSync(join(root, "README.md"), "utf8")).toContain("docs/kvm-timer-model.md");
  });

  test("no CLI message (a string in src/, not a comment) cites the spec", () => {
    const hits = tsFiles("src").flatMap((f) => codeLines(f).filter((l) => /shared\/|spec §|seed-history/.test(l)).map((l) => `${f}: ${l.trim()}`));
    expect(hits).toEqual([]);
  });
});
