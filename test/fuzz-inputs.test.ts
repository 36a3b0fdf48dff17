// Fuzzing what users type and write (issue #14 §9): the scenario loader, the --set
// parser, the sweep-file parser and the results-file reader. Every input must give a
// result or a user error — what the CLI prints as one line per problem with exit 2 — and
// never anything else (a TypeError, a RangeError from a stack overflow, a zod message).
// Bounded: a few hundred inputs each, so the file runs in a few seconds.

import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isUserError } from "../src/cli/user-error.js";
import { validateScenario } from "../src/scenario/schema.js";
import { applySets, parseSet } from "../src/scenario/set.js";
import { findPreset, presetNames, presetScenario } from "../src/scenario/presets.js";
import { parseSweep } from "../src/sweep/file.js";
import { readResults } from "../src/sweep/results-file.js";
import { mergeResults } from "../src/sweep/merge.js";
import { okLine } from "../src/sweep/line.js";

const dir = mkdtempSync(join(tmpdir(), "tscsim-fuzz-"));
const RUNS = 250;

/** Runs f; a user error is an answer too. Anything else fails the property, naming the input. */
function answers(f: () => unknown): void {
  try {
    f();
  } catch (err) {
    if (!isUserError(err)) throw err;
    expect(err.message.length).toBeGreaterThan(0);
    expect(err.message).not.toMatch(/Invalid input|^\s+at /m);
  }
}

/** JSON values, with numbers JSON cannot write (1e400 parses to Infinity). */
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom(Infinity, -Infinity, NaN, 1e30, -1, 2 ** 64, 0.5, "1e400", "10000000s", "3ghz", "SVM", "", "0x", "-1ns") },
);

/**
 * Nesting far past the limit, as text: the values themselves are built inside the
 * property (fast-check and JSON.stringify would overflow the test's own stack on them).
 */
const deepText = fc.integer({ min: 60, max: 20_000 }).map((n) => `${"[".repeat(n)}${"]".repeat(n)}`);
const valueText = fc.oneof({ weight: 6, arbitrary: value.map((v) => JSON.stringify(v) ?? "null") }, { weight: 1, arbitrary: deepText }, { weight: 1, arbitrary: fc.string({ maxLength: 20 }) });

const keyWords = ["vms", "0", "1", "host", "kvm", "duration", "seed", "workload", "kind", "interval", "delays", "hrtimer", "dist", "value", "tscKhz", "vendor", "era", "timerAdvance", "vcpus", "stalls", "pauses", "__proto__", "constructor", "", "x"];
const dotted = fc.array(fc.constantFrom(...keyWords), { minLength: 1, maxLength: 5 }).map((parts) => parts.join("."));

/** A --set value's reading: JSON when it parses, else the text. */
function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

describe("fuzzed inputs give a result or a user error, never a crash", () => {
  test("the scenario loader: arbitrary JSON", () => {
    fc.assert(fc.property(valueText, (text) => answers(() => validateScenario(parseOrText(text), "fuzz"))), { numRuns: RUNS });
  });

  test("the scenario loader: presets with random fields replaced", () => {
    const names = presetNames();
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.array(fc.tuple(dotted, valueText), { maxLength: 4 }), (name, edits) => {
        answers(() => {
          let raw: unknown = presetScenario(findPreset(name)!);
          raw = applySets(raw, edits.map(([p, v]) => `${p}=${v}`));
          return validateScenario(raw, `preset ${name}`);
        });
      }),
      { numRuns: RUNS },
    );
  });

  test("the --set parser: arbitrary strings and path=value shapes", () => {
    const setText = fc.oneof(fc.string({ maxLength: 60 }), fc.tuple(dotted, valueText).map(([p, v]) => `${p}=${v}`));
    fc.assert(
      fc.property(fc.array(setText, { maxLength: 3 }), (sets) => {
        answers(() => {
          for (const s of sets) parseSet(s);
          return validateScenario(applySets({}, sets), "fuzz");
        });
      }),
      { numRuns: RUNS },
    );
  });

  test("the sweep-file parser: arbitrary shapes around the real keys", () => {
    const sweep = fc.record(
      {
        base: fc.oneof(fc.constantFrom("cyclictest", "default", "nope", "s08-hv-oneshot", "./missing.json", dir, ""), value),
        set: fc.oneof(fc.dictionary(dotted, value, { maxKeys: 3 }), value),
        axes: fc.oneof(
          fc.dictionary(dotted, fc.oneof(fc.array(value, { maxLength: 4 }), fc.record({ from: value, to: value, step: value }), value), { maxKeys: 3 }),
          value,
        ),
        seeds: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.array(fc.oneof(fc.integer({ min: -1, max: 10 }), value), { maxLength: 4 }), value),
        extra: value,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(sweep, value), fc.option(fc.constantFrom("base", "set", "axes", "seeds"), { nil: undefined }), fc.integer({ min: 60, max: 20_000 }), (raw, deepAt, n) => {
        // Sometimes one key holds a value nested n deep, built here.
        const input = deepAt !== undefined && typeof raw === "object" && raw !== null && !Array.isArray(raw) ? { ...raw, [deepAt]: JSON.parse(`${"[".repeat(n)}${"]".repeat(n)}`) } : raw;
        answers(() => parseSweep(input, join(dir, "fuzz-sweep.json")));
      }),
      { numRuns: RUNS },
    );
  });

  test("the results-file reader and merge: lines good, bad, torn, deep, CRLF", () => {
    const good = fc.tuple(fc.constantFrom("a1", "b2", "c3"), fc.integer({ min: 0, max: 3 })).map(([id, p]) => okLine(id, { p }, 1, `{"p99":${p}}`, 1));
    const line = fc.oneof(good, fc.string({ maxLength: 40 }), valueText, good.map((l) => `${l}\r`), good.map((l) => l.slice(0, l.length >> 1)), deepText.map((d) => `{"id":"d","params":{},"seed":1,"status":"ok","result":{"x":${d}}}`));
    let n = 0;
    fc.assert(
      fc.property(fc.array(line, { maxLength: 6 }), fc.boolean(), (lines, trailingNewline) => {
        const f = join(dir, `r${n++}.jsonl`);
        writeFileSync(f, lines.join("\n") + (trailingNewline && lines.length > 0 ? "\n" : ""));
        answers(() => readResults(f));
        answers(() => mergeResults([f, f]).writeTo(() => {}));
      }),
      { numRuns: RUNS },
    );
  });
});
