import { describe, expect, test } from "vitest";
import { parseDurationNs, parseFrequencyKhz, formatKhz } from "../src/units.js";
import { InputRangeError } from "../src/errors.js";

describe("parseFrequencyKhz", () => {
  test.each([
    ["2.1GHz", 2_100_000],
    ["2994MHz", 2_994_000],
    ["2.994GHz", 2_994_000],
    ["2100000kHz", 2_100_000],
    ["2100000khz", 2_100_000],
    ["3000000000Hz", 3_000_000],
    ["2345678", 2_345_678],
    [" 1 kHz ", 1],
    [2_345_678, 2_345_678],
    ["4294967295kHz", 4_294_967_295],
  ])("%s -> %i kHz", (input, khz) => {
    expect(parseFrequencyKhz("f", input)).toBe(khz);
  });

  test.each([
    ["2.1XHz", "a frequency"],
    ["", "a frequency"],
    ["-5kHz", "a frequency"],
    ["1.5Hz", "a whole number of kHz"],
    ["3000000500Hz", "a whole number of kHz"],
    ["0", "1 kHz"],
    ["4294967296kHz", "u32"],
    [1.5, "whole number"],
  ])("rejects %s", (input, allowed) => {
    let err: unknown;
    try {
      parseFrequencyKhz("--host", input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputRangeError);
    expect((err as InputRangeError).field).toBe("--host");
    expect((err as Error).message).toContain("--host");
    expect((err as Error).message).toContain(allowed);
  });

  test("formatKhz", () => {
    expect(formatKhz(2_100_000)).toBe("2.1 GHz");
    expect(formatKhz(2_994_000)).toBe("2.994 GHz");
    expect(formatKhz(25_000)).toBe("25 MHz");
    expect(formatKhz(999)).toBe("999 kHz");
  });
});

describe("parseDurationNs", () => {
  test.each([
    ["1000ns", 1000n],
    ["1us", 1000n],
    ["200µs", 200_000n],
    ["1.5ms", 1_500_000n],
    ["10s", 10_000_000_000n],
    ["0.000000001s", 1n],
    ["42", 42n],
    [42, 42n],
  ])("%s -> %s ns", (input, ns) => {
    expect(parseDurationNs("d", input)).toBe(ns);
  });

  test.each(["1.5ns", "1 min", "ms", "-1ms", "1e3ns", "18446744073709551616ns"])("rejects %s", (input) => {
    expect(() => parseDurationNs("--advance", input)).toThrow(InputRangeError);
    expect(() => parseDurationNs("--advance", input)).toThrow(/--advance/);
  });
});
