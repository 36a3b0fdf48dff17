// Options `tscsim run` and `tscsim compare` share: --format table|json and --seed N.

import { InputRangeError } from "../errors.js";

/** A warning for the user: stderr, one line, the run goes on. */
export function warnUser(message: string): void {
  process.stderr.write(`tscsim: warning: ${message}\n`);
}

/**
 * Checks --format (first) and --seed, and returns the --set overrides with `seed=N`
 * appended when --seed is given (a copy: `opts.set` is left as it is).
 */
export function setsWithSeed(opts: { set: readonly string[]; seed?: string; format: string }): string[] {
  if (opts.format !== "table" && opts.format !== "json") throw new InputRangeError("--format", opts.format, '"table" or "json"');
  const sets = [...opts.set];
  if (opts.seed !== undefined) {
    if (!/^\d+$/.test(opts.seed) || Number(opts.seed) > 0xffffffff) throw new InputRangeError("--seed", opts.seed, "a whole number 0..4294967295");
    sets.push(`seed=${opts.seed}`);
  }
  return sets;
}
