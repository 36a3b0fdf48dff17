// Where a command's report goes: stdout, or the file named by --out (an unwritable path
// is a user error naming it, not a stack trace).

import { writeFileSync } from "node:fs";
import { InputUnusableError } from "../errors.js";
import { writeErrorReason } from "../scenario/load.js";

export function writeReport(text: string, out: string | undefined): void {
  if (out === undefined) {
    process.stdout.write(`${text}\n`);
    return;
  }
  try {
    writeFileSync(out, `${text}\n`);
  } catch (err) {
    throw new InputUnusableError("--out", out, `cannot be written (${writeErrorReason(err)})`, "a file path in a writable directory");
  }
  process.stderr.write(`tscsim: wrote ${out}\n`);
}
