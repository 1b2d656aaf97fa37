// One process at a time per resumable run and per mirrored audience. A cron job that starts while the
// previous one still runs must not resume the same journal or diff against a snapshot being replaced.
// The lock is SQLite's own exclusive file lock on a small lock file: the kernel drops it when the
// holder exits, kill -9 and reboots included, so a stale lock never blocks the next run.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { UsageError } from '../errors.js';

export interface RunLock {
  release(): void;
}

interface Holder {
  pid: number;
  since: string;
}

/** Another pinsync process holds the lock (exit 2: wait for it, or stop it, then run again). */
export class RunInProgressError extends UsageError {}

export interface RunLockOptions {
  /** The key is never taken again (a run of standard input): the lock file goes when it is released. */
  oneOff?: boolean;
}

/** The lock a push or sync run holds while it runs, by the run's key (`runs.run_key`). */
export function runLockKey(runKey: string): string {
  return `run:${runKey}`;
}

/**
 * Takes the lock named by `key` (any string; it is hashed into a file name), or fails at once with a
 * sentence naming the holder. `doing` completes "Another pinsync run … is already <doing>".
 */
export async function acquireRunLock(stateDir: string, key: string, doing: string, options: RunLockOptions = {}): Promise<RunLock> {
  const { default: Sqlite } = await import('better-sqlite3');
  const { dir, lockFile, holderFile } = lockFiles(stateDir, key);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const db = new Sqlite(lockFile, { timeout: 0 });
  if (!tryExclusive(db)) {
    db.close();
    throw new RunInProgressError(`${describeHolder(holderFile)} is already ${doing}: wait for it to finish (or stop it), then run this again.`);
  }
  try {
    fs.writeFileSync(holderFile, JSON.stringify({ pid: process.pid, since: new Date().toISOString() } satisfies Holder), { mode: 0o600 });
  } catch (error) {
    db.close(); // a full or read-only folder: let go, or this process would block every later try (its own included)
    throw error;
  }
  touch(lockFile); // a lock taken now is not idle: the state's tidying leaves it
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      fs.rmSync(holderFile, { force: true });
      // Removed while still held: nobody waits on a one-off key, and a prober finds no file, no holder.
      if (options.oneOff) fs.rmSync(lockFile, { force: true });
      db.close(); // ends the open transaction and drops the file lock
    },
  };
}

export interface LockWait {
  /** Give up with RunInProgressError after waiting this long. */
  waitMs: number;
  /** Stops waiting (Ctrl-C): the last RunInProgressError is thrown. */
  signal?: AbortSignal;
  /** Said once, when the lock is first found taken. */
  onWait?(): void;
  /** How often to try again. Default 200 ms. */
  pollMs?: number;
}

/** Like acquireRunLock, but waits (bounded) while another process holds the lock. */
export async function waitForRunLock(stateDir: string, key: string, doing: string, wait: LockWait): Promise<RunLock> {
  const until = Date.now() + wait.waitMs;
  let told = false;
  for (;;) {
    try {
      return await acquireRunLock(stateDir, key, doing);
    } catch (error) {
      if (!(error instanceof RunInProgressError) || Date.now() >= until || wait.signal?.aborted) throw error;
      if (!told) wait.onWait?.();
      told = true;
      await new Promise((resolve) => setTimeout(resolve, wait.pollMs ?? 200));
    }
  }
}

/**
 * Whether a live process holds the lock named by `key`. A run left "running" whose lock is free was
 * killed hard (kill -9, power cut): the kernel dropped its lock. The probe reads under a shared lock,
 * which the holder's exclusive lock refuses, and takes nothing a starting run would wait on.
 */
export async function isRunLockHeld(stateDir: string, key: string): Promise<boolean> {
  return isLockFileHeld(lockFiles(stateDir, key).lockFile);
}

/** The same probe, for a lock file found on disk (the state's tidying: a held lock file is never removed). */
export async function isLockFileHeld(lockFile: string): Promise<boolean> {
  if (!fs.existsSync(lockFile)) return false;
  const { default: Sqlite } = await import('better-sqlite3');
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new Sqlite(lockFile, { timeout: 0, readonly: true, fileMustExist: true });
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    return false;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'SQLITE_BUSY') return true;
    if (code === 'SQLITE_CANTOPEN') return false; // removed by a one-off run that just ended
    throw error;
  } finally {
    db?.close();
  }
}

function touch(file: string): void {
  const now = new Date();
  try {
    fs.utimesSync(file, now, now);
  } catch {
    // only the tidying reads it
  }
}

function lockFiles(stateDir: string, key: string) {
  const dir = path.join(stateDir, 'locks');
  const name = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return { dir, lockFile: path.join(dir, `${name}.lock`), holderFile: path.join(dir, `${name}.holder`) };
}

function tryExclusive(db: BetterSqlite3.Database): boolean {
  try {
    // The lock file stays empty, so its page size is still free: small pages keep SQLite's first
    // page-cache allocation (20 pages) at 10 KiB instead of 80 (a fan-out holds a lock per audience).
    db.pragma('page_size = 512');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return false;
    db.close();
    throw error;
  }
}

function describeHolder(holderFile: string): string {
  try {
    const holder = JSON.parse(fs.readFileSync(holderFile, 'utf8')) as Holder;
    return `Another pinsync run (process ${holder.pid}, started ${holder.since})`;
  } catch {
    return 'Another pinsync run';
  }
}
