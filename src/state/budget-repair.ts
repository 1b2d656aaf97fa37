// A write-budget file that is no budget (not a SQLite database, damaged, tables of another shape) is
// replaced by a new one and said once, so the processes of the home share a budget again instead of
// each keeping to the rate alone. It holds nothing worth keeping: a slot sequence and two seconds of
// grants. The processes that find it damaged together replace it one at a time, under a lock file.
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { BudgetNotice } from './budget-times.js';

type Sqlite = typeof BetterSqlite3;

/** A damaged budget file that could not be replaced; already said through the notice. */
export class BudgetBeyondRepairError extends Error {}

/** How long a process waits while another replaces the same file (it takes milliseconds). */
const REPLACE_WAIT_MS = 5_000;

/** Opens the budget in `file` with `open`; a damaged file is replaced first, or said to be beyond repair and its error thrown. */
export function openReplacingDamaged<T>(sqlite: Sqlite, file: string, open: (db: BetterSqlite3.Database) => T, notice: BudgetNotice): T {
  try {
    return openWith(sqlite, file, open);
  } catch (error) {
    if (!isDamaged(error)) throw error;
    return replaceDamaged(sqlite, file, open, notice, error as Error);
  }
}

/** The lock a replacement of `file` takes (retention.ts removes it with the budget). */
export function replaceLockOf(file: string): string {
  return `${file}.replace-lock`;
}

function replaceDamaged<T>(sqlite: Sqlite, file: string, open: (db: BetterSqlite3.Database) => T, notice: BudgetNotice, damage: Error): T {
  const budget = `the write budget that this home's pinsync processes share (${file})`;
  let lock: BetterSqlite3.Database | undefined;
  try {
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
    lock = new sqlite(replaceLockOf(file), { timeout: REPLACE_WAIT_MS });
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.exec('BEGIN EXCLUSIVE');
    const replacedMeanwhile = tryOpen(sqlite, file, open); // by another process, while this one waited for the lock
    if (replacedMeanwhile) return replacedMeanwhile.budget;
    for (const part of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(part, { force: true });
    const replaced = openWith(sqlite, file, open);
    notice(`${budget} was damaged (${damage.message}): replaced it with a new one.`);
    return replaced;
  } catch (error) {
    notice(
      `${budget} is damaged (${damage.message}) and cannot be replaced (${(error as Error).message}): this process keeps to the rate alone, ` +
        'and other pinsync processes of this home may meet 429s. Remove the file to repair it.',
    );
    throw new BudgetBeyondRepairError((error as Error).message, { cause: error });
  } finally {
    lock?.close();
  }
}

function tryOpen<T>(sqlite: Sqlite, file: string, open: (db: BetterSqlite3.Database) => T): { budget: T } | undefined {
  try {
    return { budget: openWith(sqlite, file, open) };
  } catch (error) {
    if (isDamaged(error)) return undefined;
    throw error;
  }
}

function openWith<T>(sqlite: Sqlite, file: string, open: (db: BetterSqlite3.Database) => T): T {
  const db = new sqlite(file);
  try {
    return open(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * SQLite's answers for a file that is no budget: not a database, a damaged one, or tables of another
 * shape (a missing column is SQLITE_ERROR when a statement is prepared). A busy, read-only or full
 * file is none of these: the process keeps to the rate alone and the file is left as it is.
 */
function isDamaged(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return false;
  return ['SQLITE_NOTADB', 'SQLITE_FORMAT', 'SQLITE_MISMATCH', 'SQLITE_ERROR'].includes(code) || code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_CONSTRAINT');
}
