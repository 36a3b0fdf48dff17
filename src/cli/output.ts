// Where a command's report goes: stdout, or the file named by --out (an unwritable path
// is a user error naming it, not a stack trace).

import { writeFileSync } from "node:fs";
import { InputRangeError } from "../errors.js";

export function writeReport(text: string, out: string | undefined): void {
  if (out === undefined) {
    process.stdout.write(`${text}\n`);
    return;
  }
  try {
    writeFileSync(out, `${text}\n`);
  } catch (err) {
    throw new InputRangeError("--out", out, `a writable file path (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  process.stderr.write(`tscsim: wrote ${out}\n`);
}
