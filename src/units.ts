// Units in user input (architecture.md, "Units and names"): frequencies as "2.1GHz",
// "2994MHz", "2100000kHz", "3000000000Hz" or a bare number of kHz; durations as
// "200us", "1.5ms", "10s" or a bare number of ns. Decimal strings are parsed exactly.

import { InputRangeError } from "./errors.js";

const DECIMAL = /^\s*(\d+)(?:\.(\d+))?\s*([a-zA-Zµ]*)\s*$/;

/** value * 10^scale of a decimal literal, exactly, or undefined if not a whole number. */
function scaleDecimal(intPart: string, fracPart: string, scale: number): bigint | undefined {
  const digits = BigInt(intPart + fracPart);
  const exp = scale - fracPart.length;
  if (exp >= 0) return digits * 10n ** BigInt(exp);
  const div = 10n ** BigInt(-exp);
  return digits % div === 0n ? digits / div : undefined;
}

const FREQUENCY_UNITS: Record<string, number> = { hz: -3, khz: 0, mhz: 3, ghz: 6 };
const DURATION_UNITS: Record<string, number> = { ns: 0, us: 3, "µs": 3, ms: 6, s: 9 };

function parseWithUnits(field: string, input: string | number, units: Record<string, number>, baseUnit: string, what: string, examples: string): bigint {
  if (typeof input === "number") {
    if (!Number.isSafeInteger(input) || input < 0) throw new InputRangeError(field, input, `a non-negative whole number of ${baseUnit} or a string with units`);
    return BigInt(input);
  }
  const m = DECIMAL.exec(input);
  const unit = (m?.[3] ?? "").toLowerCase();
  const scale = m ? (unit === "" ? 0 : units[unit]) : undefined;
  if (!m || scale === undefined) {
    throw new InputRangeError(field, input, `${what} such as ${examples}, or a bare number of ${baseUnit}`);
  }
  const value = scaleDecimal(m[1]!, m[2] ?? "", scale);
  if (value === undefined) throw new InputRangeError(field, input, `a whole number of ${baseUnit}`);
  return value;
}

/** A frequency in kHz (KVM's unit), a u32 above 0. */
export function parseFrequencyKhz(field: string, input: string | number): number {
  const khz = parseWithUnits(field, input, FREQUENCY_UNITS, "kHz", "a frequency", '"2.1GHz", "2994MHz", "2100000kHz", "3000000000Hz"');
  if (khz < 1n || khz > 0xffffffffn) throw new InputRangeError(field, input, "1 kHz .. 4294967295 kHz (KVM stores kHz as a u32)");
  return Number(khz);
}

/** A duration in ns (u64). */
export function parseDurationNs(field: string, input: string | number): bigint {
  const ns = parseWithUnits(field, input, DURATION_UNITS, "ns", "a duration", '"1000ns", "200us", "1.5ms", "10s"');
  if (ns > (1n << 64n) - 1n) throw new InputRangeError(field, input, "at most 2^64-1 ns");
  return ns;
}

/** "2100000 kHz" -> "2.1 GHz" for people. */
export function formatKhz(khz: number): string {
  if (khz >= 1_000_000) return `${trim(khz / 1_000_000)} GHz`;
  if (khz >= 1000) return `${trim(khz / 1000)} MHz`;
  return `${khz} kHz`;
}

function trim(x: number): string {
  return String(Number(x.toPrecision(10)));
}
