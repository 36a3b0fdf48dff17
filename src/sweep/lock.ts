// An exclusive lock on a results file (issue #14 §1): `<file>.lock`, created with
// O_CREAT|O_EXCL before the first read or write, holding its owner's host, pid and start
// time as one JSON line. A second writer finds it and refuses with one line naming the
// holder, so two sweeps on one --out can no longer double every run.
//
// Why not proper-lockfile: its lock is a directory that records no owner (a refused
// writer could not name the holder), and it takes a stale lock only by mtime. Here:
//   - the holder refreshes the lock's mtime every HEARTBEAT_MS; a lock not refreshed for
//     STALE_MS is stale, from any host (on a shared volume — NFS, a ReadWriteMany claim —
//     a pid of another host means nothing);
//   - on the same host it is stale at once when its pid is no longer alive (kill(pid, 0)
//     fails with ESRCH) — after a SIGKILL or an OOM kill — or is our own pid without
//     our holding it (a restarted container: its process often gets the same pid).
// O_EXCL creation is atomic on local file systems and on NFSv3 and later (Linux 2.6+),
// which is what the Kubernetes and Slurm recipes in docs/sweeps.md rely on.
//
// Taking over a stale lock: rename it to a name of our own (atomic: of two processes
// breaking the same stale lock, one rename succeeds), check that what was renamed is the
// lock judged stale, and only then create ours with O_EXCL. If a fresh lock was renamed
// by mistake (its owner recreated it in between), it is linked back into place.

import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeSync } from "node:fs";
import os from "node:os";
import { InputUnusableError } from "../errors.js";
import { writeErrorReason } from "../scenario/load.js";

export const HEARTBEAT_MS = 10_000;
export const STALE_MS = 60_000;

export interface LockOwner {
  host: string;
  pid: number;
  /** ISO time the lock was taken. */
  since: string;
}

export interface LockEnv {
  host: string;
  pid: number;
  nowMs: () => number;
  /** Whether a process of this host is alive. */
  alive: (pid: number) => boolean;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export const REAL_LOCK_ENV: LockEnv = { host: os.hostname(), pid: process.pid, nowMs: () => Date.now(), alive: pidAlive };

export function lockPathOf(file: string): string {
  return `${file}.lock`;
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockOwner>;
    if (typeof v.host === "string" && typeof v.pid === "number" && typeof v.since === "string") return v as LockOwner;
  } catch {
    // a lock whose owner died between creating and writing it
  }
  return undefined;
}

type Existing = { kind: "gone" } | { kind: "held"; owner: LockOwner | undefined; text: string; mtimeMs: number };

function readExisting(path: string): Existing {
  try {
    const text = readFileSync(path, "utf8");
    const { mtimeMs } = statSync(path);
    return { kind: "held", owner: parseOwner(text), text, mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { kind: "gone" };
    throw err;
  }
}

/** Results files this process holds a lock on (a second lock from the same process is refused too). */
const heldHere = new Set<string>();

function isStale(e: Extract<Existing, { kind: "held" }>, path: string, env: LockEnv): boolean {
  // Not refreshed for STALE_MS: its owner is gone, whatever its pid (a pid can be reused,
  // on the same host or in a restarted container whose hostname is the pod's).
  if (env.nowMs() - e.mtimeMs > STALE_MS) return true;
  if (e.owner === undefined || e.owner.host !== env.host) return false;
  // Our own pid but not our lock: a previous incarnation (a restarted container's node often has the same pid).
  if (e.owner.pid === env.pid) return !heldHere.has(path);
  return !env.alive(e.owner.pid);
}

function describeOwner(e: Extract<Existing, { kind: "held" }>, env: LockEnv): string {
  if (e.owner === undefined) return "a process that left no owner record";
  const where = e.owner.host === env.host ? `pid ${e.owner.pid} on this host` : `pid ${e.owner.pid} on host ${e.owner.host}`;
  return `${where}, since ${e.owner.since}`;
}

/** A held lock; release() removes it (idempotent), and it is removed at process exit. */
export class ResultsLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private readonly onExit = (): void => this.release();

  constructor(
    readonly file: string,
    readonly path: string,
  ) {
    this.timer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);
    this.timer.unref();
    heldHere.add(path);
    process.once("exit", this.onExit);
  }

  /** Refreshes the mtime so that writers on other hosts see the lock alive. */
  heartbeat(): void {
    try {
      const now = new Date();
      utimesSync(this.path, now, now);
    } catch {
      // a missing lock is noticed by the next writer; the sweep itself goes on
    }
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    process.off("exit", this.onExit);
    heldHere.delete(this.path);
    try {
      unlinkSync(this.path);
    } catch {
      // already gone (removed by hand)
    }
  }
}

function create(path: string, env: LockEnv): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    const owner: LockOwner = { host: env.host, pid: env.pid, since: new Date(env.nowMs()).toISOString() };
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Moves a stale lock out of the way; false when it turned out not to be the one judged stale. */
function breakStale(path: string, judged: string, env: LockEnv): boolean {
  const aside = `${path}.stale-${env.host}-${env.pid}`;
  try {
    renameSync(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return true; // someone else broke it
    throw err;
  }
  let moved = "";
  try {
    moved = readFileSync(aside, "utf8");
  } catch {
    // unreadable: treat as the stale one
    moved = judged;
  }
  if (moved !== judged) {
    // A live lock taken in between: put it back (link fails if yet another one exists).
    try {
      linkSync(aside, path);
    } catch {
      // a newer lock is in place; ours goes away below
    }
    unlinkSync(aside);
    return false;
  }
  unlinkSync(aside);
  return true;
}

/**
 * Takes the lock on `file` (a results file), or throws an InputUnusableError naming the
 * holder. `field` labels the message (the flag that named the file).
 */
export function lockResultsFile(file: string, field = "--out", env: LockEnv = REAL_LOCK_ENV): ResultsLock {
  const path = lockPathOf(file);
  for (let attempt = 0; attempt < 3; attempt++) {
    let made: boolean;
    try {
      made = create(path, env);
    } catch (err) {
      throw new InputUnusableError(field, file, `its lock file ${path} cannot be created (${writeErrorReason(err)})`, "a results file in a writable directory");
    }
    if (made) return new ResultsLock(file, path);
    const existing = readExisting(path);
    if (existing.kind === "gone") continue;
    if (!isStale(existing, path, env)) {
      throw new InputUnusableError(
        field,
        file,
        `another tscsim is writing it (${describeOwner(existing, env)}; lock ${path})`,
        `one writer per results file: wait for it or use another --out (a lock not refreshed for ${STALE_MS / 1000} s is taken over)`,
      );
    }
    breakStale(path, existing.text, env);
  }
  throw new InputUnusableError(field, file, `its lock ${path} keeps changing hands`, "one writer per results file: wait for the other writers");
}
