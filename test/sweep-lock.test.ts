// The results-file lock (issue #14 §1): one writer per file, the holder named, stale locks
// taken over (a dead pid on this host; no heartbeat for STALE_MS from another host).

import { describe, expect, test } from "vitest";
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputUnusableError } from "../src/errors.js";
import { lockPathOf, lockResultsFile, STALE_MS, type LockEnv } from "../src/sweep/lock.js";

const dir = mkdtempSync(join(tmpdir(), "tscsim-lock-"));
let n = 0;
const fresh = (): string => join(dir, `r${n++}.jsonl`);

/** A host whose live pids are `live`, at a fixed wall time. */
function env(host: string, pid: number, live: number[], nowMs = Date.now()): LockEnv {
  return { host, pid, nowMs: () => nowMs, alive: (p) => live.includes(p) };
}

function refusal(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(InputUnusableError);
    return (err as Error).message;
  }
  throw new Error("expected a refusal");
}

describe("results-file lock", () => {
  test("the lock file records host and pid; a second writer is refused with one line naming the holder; release frees it", () => {
    const out = fresh();
    const a = lockResultsFile(out, "--out", env("hostA", 100, [100, 200]));
    const owner = JSON.parse(readFileSync(lockPathOf(out), "utf8"));
    expect(owner).toMatchObject({ host: "hostA", pid: 100 });
    const msg = refusal(() => lockResultsFile(out, "--out", env("hostA", 200, [100, 200])));
    expect(msg).toMatch(/^--out = ".*r0\.jsonl": another tscsim is writing it \(pid 100 on this host, since .*\); one writer per results file/);
    expect(msg.split("\n")).toHaveLength(1);
    a.release();
    expect(existsSync(lockPathOf(out))).toBe(false);
    lockResultsFile(out, "--out", env("hostA", 200, [200])).release();
  });

  test("a lock whose pid is dead on this host is stale and taken over at once, however fresh", () => {
    const out = fresh();
    lockResultsFile(out, "--out", env("hostA", 100, [100]));
    const b = lockResultsFile(out, "--out", env("hostA", 200, [200]));
    expect(JSON.parse(readFileSync(lockPathOf(out), "utf8")).pid).toBe(200);
    b.release();
  });

  test("a lock from another host: refused while refreshed, taken over after STALE_MS without a heartbeat", () => {
    const out = fresh();
    const t0 = Date.now();
    lockResultsFile(out, "--out", env("hostA", 100, [100], t0));
    // hostB cannot see hostA's pids: only the lock's age counts.
    const msg = refusal(() => lockResultsFile(out, "--out", env("hostB", 100, [], t0 + STALE_MS - 1000)));
    expect(msg).toContain("pid 100 on host hostA");
    expect(msg).toContain(`not refreshed for ${STALE_MS / 1000} s is taken over`);
    const b = lockResultsFile(out, "--out", env("hostB", 7, [], t0 + STALE_MS + 5000));
    expect(JSON.parse(readFileSync(lockPathOf(out), "utf8")).host).toBe("hostB");
    b.release();
  });

  test("the holder's heartbeat keeps its lock fresh for other hosts", () => {
    const out = fresh();
    const a = lockResultsFile(out, "--out", env("hostA", 100, [100]));
    const old = new Date(Date.now() - 10 * STALE_MS);
    utimesSync(lockPathOf(out), old, old);
    a.heartbeat();
    refusal(() => lockResultsFile(out, "--out", env("hostB", 1, [])));
    a.release();
  });

  test("a lock without an owner record (its writer died creating it) is judged by its age", () => {
    const out = fresh();
    writeFileSync(lockPathOf(out), "");
    expect(refusal(() => lockResultsFile(out, "--out", env("hostA", 1, [])))).toContain("a process that left no owner record");
    const later = lockResultsFile(out, "--out", env("hostA", 1, [], Date.now() + STALE_MS + 1000));
    later.release();
  });

  test("a lock that cannot be created (no such directory) is one line naming the file", () => {
    const msg = refusal(() => lockResultsFile(join(dir, "nope", "r.jsonl"), "--out", env("h", 1, [])));
    expect(msg).toContain("cannot be created (its directory does not exist)");
  });
});

describe("results-file lock: pids that mislead", () => {
  test("our own pid in a lock we do not hold (a restarted container) is stale; one we hold is refused", () => {
    const out = fresh();
    writeFileSync(lockPathOf(out), `${JSON.stringify({ host: "pod-0", pid: 7, since: "2026-01-01T00:00:00.000Z" })}\n`);
    const a = lockResultsFile(out, "--out", env("pod-0", 7, [7]));
    expect(refusal(() => lockResultsFile(out, "--out", env("pod-0", 7, [7])))).toContain("pid 7 on this host");
    a.release();
  });

  test("a live pid on this host whose lock is not refreshed for STALE_MS (a reused pid) is stale", () => {
    const out = fresh();
    writeFileSync(lockPathOf(out), `${JSON.stringify({ host: "h", pid: 50, since: "2026-01-01T00:00:00.000Z" })}\n`);
    refusal(() => lockResultsFile(out, "--out", env("h", 60, [50, 60])));
    lockResultsFile(out, "--out", env("h", 60, [50, 60], Date.now() + STALE_MS + 1000)).release();
  });
});
