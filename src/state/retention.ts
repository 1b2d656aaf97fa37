// State stays bounded over a year of cron. After each durable run: the run history untouched for the
// retention (PINSYNC_KEEP_DAYS, default 90) or beyond its newest runs (PINSYNC_KEEP_RUNS, default 500)
// goes, with its journal rows, except a run still going or one a rerun would resume; the journal rows of runs that completed go at once (a completed run is
// never resumed); state.db is compacted when that pays; write-budget and lock files nobody touched for
// the retention go too. Mirror snapshots are never pruned: without one a sync could not remove users.
import fs from 'node:fs';
import path from 'node:path';
import type { Context } from '../context.js';
import { replaceLockOf } from './budget-repair.js';
import { openDatabase, type Database } from './database.js';
import { isLockFileHeld } from './run-lock.js';

export interface Retention {
  days: number;
  runs: number;
}

const DEFAULT_RETENTION: Retention = { days: 90, runs: 500 };

const DAY_MS = 24 * 3600_000;
/**
 * A sync frees the pages of its old snapshot and the next sync fills them again, so free pages alone
 * are no waste. Compact when at least half the file is free and that is a lot: a big audience that
 * shrank, or history pruned after a long year.
 */
const COMPACT_FREE_SHARE = 0.5;
const COMPACT_FREE_BYTES = 64 * 1024 * 1024;

export interface Tidied {
  runs: number;
  batches: number;
  compacted: boolean;
  files: number;
}

/** PINSYNC_KEEP_DAYS and PINSYNC_KEEP_RUNS, or the defaults (a value that is not a whole number ≥ 1 is warned about). */
function retentionFrom(ctx: Pick<Context, 'env' | 'warn'>): Retention {
  const read = (name: string, fallback: number): number => {
    const text = ctx.env[name]?.trim();
    if (!text) return fallback;
    const value = Number(text);
    if (Number.isInteger(value) && value >= 1) return value;
    ctx.warn(`${name} must be a whole number of at least 1, not "${text}": keeping ${fallback}.`);
    return fallback;
  };
  return { days: read('PINSYNC_KEEP_DAYS', DEFAULT_RETENTION.days), runs: read('PINSYNC_KEEP_RUNS', DEFAULT_RETENTION.runs) };
}

/** Prunes and compacts PINSYNC_HOME's state after a run; never fails the run (a busy file is tidied next time). */
export async function tidyState(ctx: Context): Promise<Tidied | undefined> {
  if (!fs.existsSync(ctx.paths.stateFile)) return undefined;
  const retention = retentionFrom(ctx);
  const now = ctx.now();
  let db: Database | undefined;
  try {
    db = await openDatabase(ctx.paths.stateFile);
    db.pragma('busy_timeout = 0'); // another process is busy with it: tidy next time
    const pruned = pruneHistory(db, now, retention);
    const compacted = compactIfItPays(db);
    // File times are the machine's, whatever clock the run keeps.
    const files = await pruneIdleFiles(ctx.paths.stateDir, Date.now() - retention.days * DAY_MS);
    ctx.debugLog(`state tidied: ${pruned.runs} runs and ${pruned.batches} journal rows pruned${compacted ? ', state.db compacted' : ''}, ${files} idle files removed`);
    return { ...pruned, compacted, files };
  } catch (error) {
    ctx.debugLog(`state not tidied this time: ${(error as Error).message}`);
    return undefined;
  } finally {
    db?.close();
  }
}

/**
 * A run goes when nothing touched it within the retention (updated_at: started, resumed, a batch
 * acknowledged, finished; a rerun after that long starts over), or when the newest runs are enough
 * without it and a rerun would not resume it (interrupted, failed mid-way, or ended with errored rows);
 * never while it is running.
 */
export function pruneHistory(db: Database, now: number, retention: Retention): { runs: number; batches: number } {
  return db
    .transaction(() => {
      const completed = db.prepare(`DELETE FROM batches WHERE run_id IN (SELECT id FROM runs WHERE status = 'finished' AND exit_code = 0)`).run().changes;
      const runs = db
        .prepare(
          `DELETE FROM runs WHERE status <> 'running'
             AND (updated_at < ?
               OR (id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT ?) AND NOT (resumable = 1 AND (status <> 'finished' OR exit_code = 3))))`,
        )
        .run(now - retention.days * DAY_MS, retention.runs).changes;
      // The journal rows of pruned runs (the foreign key cascades when it is on; this covers a file where it was not).
      const orphans = db.prepare(`DELETE FROM batches WHERE run_id NOT IN (SELECT id FROM runs)`).run().changes;
      return { runs, batches: completed + orphans };
    })
    .immediate();
}

/** VACUUM when at least half the file is free pages and that is over 64 MiB; true when it ran. */
export function compactIfItPays(db: Database, freeBytesWorthIt = COMPACT_FREE_BYTES): boolean {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  if (pages === 0 || free / pages < COMPACT_FREE_SHARE || free * pageSize < freeBytesWorthIt) return false;
  db.exec('VACUUM');
  return true;
}

/**
 * Write-budget files (one per access token: a renewed token starts a new one) and run locks (one per
 * pushed file) that nothing touched since `before`. A lock still held is kept whatever its age.
 */
async function pruneIdleFiles(stateDir: string, before: number): Promise<number> {
  let removed = 0;
  for (const file of idleFiles(path.join(stateDir, 'budgets'), before, /\.db$/)) {
    for (const part of [file, `${file}-wal`, `${file}-shm`, replaceLockOf(file)]) fs.rmSync(part, { force: true });
    removed++;
  }
  for (const file of idleFiles(path.join(stateDir, 'locks'), before, /\.lock$/)) {
    if (await isLockHeldAt(file)) continue;
    fs.rmSync(file, { force: true });
    fs.rmSync(file.replace(/\.lock$/, '.holder'), { force: true });
    removed++;
  }
  return removed;
}

function idleFiles(dir: string, before: number, name: RegExp): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.isFile() && name.test(entry.name))
    .map((entry) => path.join(dir, entry.name))
    .filter((file) => (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < before);
}

async function isLockHeldAt(lockFile: string): Promise<boolean> {
  try {
    return await isLockFileHeld(lockFile);
  } catch {
    return true; // unsure: keep it
  }
}
