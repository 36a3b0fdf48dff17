// Typed errors for bad input (architecture.md: "typed errors carrying field, value
// and reason"). Expected kernel outcomes are status values, never these.

function show(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(value);
  if (value === undefined) return "undefined";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A number (or a string that is just one): "out of range" fits it; "abc" or "2.1XHz" is not out of any range. */
function isNumeric(value: unknown): boolean {
  return typeof value === "number" || typeof value === "bigint" || (typeof value === "string" && /^\s*[-+]?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(value));
}

/**
 * An argument that is not allowed: a number outside its range ("is out of range"), or
 * a value of the right type that is not one of the accepted forms.
 */
export class InputRangeError extends RangeError {
  override name = "InputRangeError";
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(isNumeric(value) ? `${field} = ${show(value)} is out of range: allowed ${allowed}` : `${field} = ${show(value)}: allowed ${allowed}`);
  }
}

/** An argument of the wrong type. */
export class InputTypeError extends TypeError {
  override name = "InputTypeError";
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly allowed: string,
  ) {
    super(`${field} = ${show(value)} has the wrong type: expected ${allowed}`);
  }
}

/**
 * An input that is neither out of range nor of the wrong type but cannot be used: a file
 * another process is writing, a directory where a file is needed. `problem` says what is
 * wrong with it, `allowed` what would do, both in words that fit the case.
 */
export class InputUnusableError extends Error {
  override name = "InputUnusableError";
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly problem: string,
    readonly allowed: string,
  ) {
    super(`${field} = ${show(value)}: ${problem}; ${allowed}`);
  }
}

/** KVM refuses the request (the ioctl would return -EINVAL). */
export class KvmRefusedError extends RangeError {
  override name = "KvmRefusedError";
  constructor(
    readonly errno: "EINVAL",
    readonly field: string,
    readonly value: unknown,
    readonly reason: string,
  ) {
    super(`KVM refuses ${field} = ${show(value)} (-${errno}): ${reason}`);
  }
}

/** The CPU would raise a divide error (#DE): the kernel arithmetic has no result. */
export class DivideErrorTrap extends RangeError {
  override name = "DivideErrorTrap";
  constructor(
    readonly operation: string,
    readonly reason: string,
  ) {
    super(`${operation}: ${reason} (the CPU raises #DE here)`);
  }
}
