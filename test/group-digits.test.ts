// groupDigits writes whole numbers as toLocaleString("en-US") does, without ICU (the
// scenario schema's messages use it at start-up: docs/performance.md).

import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { groupDigits } from "../src/group-digits.js";

describe("groupDigits", () => {
  test.each([
    [0, "0"],
    [999, "999"],
    [1000, "1,000"],
    [-1000, "-1,000"],
    [1_000_000, "1,000,000"],
    [Number.MAX_SAFE_INTEGER, "9,007,199,254,740,991"],
  ])("%d -> %s", (n, text) => expect(groupDigits(n)).toBe(text));

  test("the same bytes as toLocaleString('en-US') for every safe integer and bigint", () => {
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => groupDigits(n) === n.toLocaleString("en-US")));
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), (n) => groupDigits(n) === n.toLocaleString("en-US")));
  });

  test("a fraction keeps en-US's own rounding", () => {
    expect(groupDigits(1234.5678)).toBe("1,234.568");
  });
});
