// Where a command's report goes: stdout, or the file named by --out (an unwritable path
// is a user error naming it, not a stack trace).

import { closeSync, openSync, writeFileSync, writeSync } from "node:fs";
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

/**
 * writeReport for a report produced in chunks (`produce` calls `write` for each): the
 * report is never one string, so its size is not bounded by V8's longest string. stdout
 * is written synchronously on files and pipes (Linux), so chunks do not pile up in memory.
 * Chunks are strings (UTF-8) or bytes (the JSON writer's, src/report/json-bytes.ts).
 */
export function writeReportChunks(produce: (write: (chunk: string | Uint8Array) => void) => void, out: string | undefined): void {
  if (out === undefined) {
    produce((chunk) => process.stdout.write(chunk));
    process.stdout.write("\n");
    return;
  }
  let fd: number;
  try {
    fd = openSync(out, "w");
  } catch (err) {
    throw new InputUnusableError("--out", out, `cannot be written (${writeErrorReason(err)})`, "a file path in a writable directory");
  }
  try {
    produce((chunk) => {
      if (typeof chunk === "string") writeSync(fd, chunk);
      // A write may take fewer bytes than asked (a pipe, a full disk's last blocks): the rest follows.
      else for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at);
    });
    writeSync(fd, "\n");
  } catch (err) {
    throw new InputUnusableError("--out", out, `a write failed (${writeErrorReason(err)})`, "a file that can be written to");
  } finally {
    closeSync(fd);
  }
  process.stderr.write(`tscsim: wrote ${out}\n`);
}
