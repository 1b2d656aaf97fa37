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

/**
 * Takes the lock named by `key` (any string; it is hashed into a file name), or fails at once with a
 * sentence naming the holder. `doing` completes "Another pinsync run … is already <doing>".
 */
export async function acquireRunLock(stateDir: string, key: string, doing: string): Promise<RunLock> {
  const { default: Sqlite } = await import('better-sqlite3');
  const dir = path.join(stateDir, 'locks');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const name = createHash('sha256').update(key).digest('hex').slice(0, 32);
  const lockFile = path.join(dir, `${name}.lock`);
  const holderFile = path.join(dir, `${name}.holder`);
  const db = new Sqlite(lockFile, { timeout: 0 });
  if (!tryExclusive(db)) {
    db.close();
    throw new RunInProgressError(`${describeHolder(holderFile)} is already ${doing}: wait for it to finish (or stop it), then run this again.`);
  }
  fs.writeFileSync(holderFile, JSON.stringify({ pid: process.pid, since: new Date().toISOString() } satisfies Holder), { mode: 0o600 });
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      fs.rmSync(holderFile, { force: true });
      db.close(); // ends the open transaction and drops the file lock
    },
  };
}

function tryExclusive(db: BetterSqlite3.Database): boolean {
  try {
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
