/**
 * The lock of a run directory: `RUN/strata.lock`, created with O_EXCL and
 * holding its owner's pid, host name and start time, so that two training
 * sessions never write one run at once (each would remove the other's
 * temporary checkpoints and log the same epochs twice). A lock whose process
 * is gone (same host, pid not alive) or that cannot be read is taken over with
 * a warning; a lock from another host is respected, since its pid cannot be
 * checked from here. Only `strata train` takes it: reading a run needs none.
 */
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative } from 'node:path';
import { osReason, RuntimeFailure, UsageError } from '../errors.js';

export const LOCK_FILE = 'strata.lock';

export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  started: string;
  /** The host's boot id (Linux): a lock from before a reboot is stale, whatever its pid is now. */
  boot?: string;
}

/** This boot's id, where the system has one. */
function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the owner of a lock of this host still runs: its pid alive, in this
 * boot, and not this process's own pid (a container restarted after a crash
 * often gets the same pid, and would otherwise lock itself out; this process's
 * own pid counts only for a lock it holds).
 */
function ownerRuns(other: LockOwner, file: string): boolean {
  if (other.pid === process.pid) return held.has(file);
  const boot = bootId();
  if (boot && other.boot && other.boot !== boot) return false;
  return alive(other.pid);
}

export interface RunLock {
  readonly file: string;
  /** Remove the lock (once; later calls do nothing). */
  release(): void;
}

const rel = (p: string) => relative(process.cwd(), p) || '.';

/** Locks this process holds, removed on any exit (a second Ctrl-C exits at once, past every `finally`). */
const held = new Set<string>();
let exitHook = false;

function removeHeld(file: string): void {
  held.delete(file);
  try {
    const owner = parseOwner(readFileSync(file, 'utf8'));
    // Never remove a lock that another process has taken over since.
    if (owner && (owner.pid !== process.pid || owner.host !== hostname())) return;
    unlinkSync(file);
  } catch {
    // Gone already (a discarded run directory), or unreadable: nothing to release.
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (typeof o.pid === 'number' && Number.isInteger(o.pid) && o.pid > 0 && typeof o.host === 'string' && typeof o.started === 'string') return o as LockOwner;
  } catch {
    // cut short
  }
  return undefined;
}

/** Whether process `pid` is alive on this host (EPERM: alive, but another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `14:02` today, else `2026-11-25 14:02`, in local time. */
function since(iso: string, now = new Date()): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  const hm = `${p(t.getHours())}:${p(t.getMinutes())}`;
  return t.toDateString() === now.toDateString() ? hm : `${t.getFullYear()}-${p(t.getMonth() + 1)}-${p(t.getDate())} ${hm}`;
}

function ioFailure(e: unknown, file: string): never {
  const code = (e as NodeJS.ErrnoException).code;
  throw new RuntimeFailure({ file: rel(file), code: 'io-failure', message: `cannot create the run's lock: ${osReason(e)}${code ? ` (${code})` : ''}` });
}

/** Create the lock file with O_EXCL, its content written at once; false when one is there already. */
function tryCreate(file: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    ioFailure(e, file);
  }
  try {
    writeSync(fd, `${JSON.stringify(owner)}\n`);
  } catch (e) {
    closeSync(fd);
    try {
      unlinkSync(file);
    } catch {
      // nothing more to undo
    }
    ioFailure(e, file);
  }
  closeSync(fd);
  return true;
}

function readLock(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return '';
  }
}

/**
 * Take the lock of `runDir` for this process until `release()` (or exit).
 * `option` names the argument in errors (`--out runs/x`); `warn` gets the
 * one-line warning when a stale lock is taken over.
 */
export function acquireRunLock(runDir: string, option: string, warn: (line: string) => void): RunLock {
  const file = join(runDir, LOCK_FILE);
  const boot = bootId();
  const owner: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString(), ...(boot ? { boot } : {}) };
  for (let attempt = 0; attempt < 20; attempt++) {
    if (tryCreate(file, owner)) {
      held.add(file);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => [...held].forEach(removeHeld));
      }
      return { file, release: () => (held.has(file) ? removeHeld(file) : undefined) };
    }
    let text = readLock(file);
    if (text === undefined) continue; // released meanwhile: try again
    let other = parseOwner(text);
    if (!other) {
      // Created by O_EXCL an instant ago and not written yet, or cut short by a crash: give a writer a moment.
      let young = false;
      try {
        young = Date.now() - statSync(file).mtimeMs < 2000;
      } catch {
        continue;
      }
      if (young) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
        continue;
      }
      text = readLock(file);
      if (text === undefined) continue;
      other = parseOwner(text);
    }
    if (other && other.host !== hostname()) {
      throw new UsageError({
        arg: option,
        code: 'run-locked',
        message: `${rel(runDir)} is in use by strata on host ${other.host} (pid ${other.pid}, since ${since(other.started)}); strata cannot check a process on another machine, so it leaves the lock alone. If that machine is gone or no longer trains this run, remove ${rel(file)} and train again`,
      });
    }
    if (other && ownerRuns(other, file)) {
      throw new UsageError({
        arg: option,
        code: 'run-locked',
        message: `${rel(runDir)} is in use by strata (pid ${other.pid} on host ${other.host}, since ${since(other.started)}); wait for it to finish or stop it`,
      });
    }
    // Stale: move it aside (only one taker succeeds), and check it is still the stale lock that was judged.
    const aside = `${file}.stale-${process.pid}`;
    try {
      renameSync(file, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      ioFailure(e, file);
    }
    const moved = readLock(aside);
    if (moved !== text) {
      // Another process took the stale lock over first and this moved its fresh one: put it back.
      try {
        linkSync(aside, file);
      } catch {
        // A third process holds it now; its own lock stands.
      }
      try {
        unlinkSync(aside);
      } catch {
        // already gone
      }
      continue;
    }
    unlinkSync(aside);
    warn(
      other
        ? `strata: warning: ${rel(file)} was left by strata pid ${other.pid} on this host, which is no longer running${other.boot && boot && other.boot !== boot ? ' (the host has restarted since)' : ''}; taking it over`
        : `strata: warning: ${rel(file)} cannot be read (a crash cut it short?); taking it over`,
    );
  }
  throw new UsageError({ arg: option, code: 'run-locked', message: `${rel(runDir)} is in use: its lock ${rel(file)} keeps changing hands; wait for the other training to finish` });
}
