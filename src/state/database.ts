// Opens the SQLite state file (better-sqlite3, loaded lazily): WAL, durable commits, migrations,
// and one clear sentence instead of a crash when the file is corrupt or belongs to something else.
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { PinsyncError, UsageError } from '../errors.js';
import { APPLICATION_ID, MIGRATIONS } from './migrations.js';

export type Database = BetterSqlite3.Database;

/** The state file is unreadable as pinsync state (exit 2: an input the user must move aside). */
export class StateFileError extends UsageError {}

/**
 * PINSYNC_HOME cannot hold the state (unwritable, a file, a full disk), or the state file stayed busy
 * past the busy timeout. Exit 2: the user fixes the folder (or stops the other process), then reruns.
 */
export class StateUnavailableError extends UsageError {}

export async function openDatabase(file: string): Promise<Database> {
  const { default: Sqlite } = await import('better-sqlite3');
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Hashed identifiers are still personal data: owner-only, like the config and credential files.
    // SQLite gives its -wal and -shm files the main file's mode.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
  } catch (error) {
    throw stateUnavailable(file, error) ?? error;
  }
  let db: Database | undefined;
  try {
    const opened = (db = new Sqlite(file));
    configure(opened);
    // One IMMEDIATE transaction: two processes opening a fresh file at once (overlapping cron jobs)
    // must not both see schema version 0 and both run the first migration.
    opened
      .transaction(() => {
        checkOwnership(opened, file);
        migrate(opened);
      })
      .immediate();
    return opened;
  } catch (error) {
    db?.close();
    if (error instanceof StateFileError) throw error;
    throw stateUnavailable(file, error) ?? unreadableState(file, error);
  }
}

/**
 * Opens the state file only to read it (`pinsync runs` on a home that cannot be written). A WAL
 * database whose -shm file is gone (its last writer closed it cleanly) cannot be opened in place on a
 * read-only disk; that writer checkpointed everything into the file, so it is read into memory then,
 * marked as a rollback-journal database (header bytes 18-19), and opened from there.
 */
export async function openDatabaseForReading(file: string): Promise<Database> {
  const { default: Sqlite } = await import('better-sqlite3');
  try {
    const db = new Sqlite(file, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    return db;
  } catch (error) {
    if ((error as { code?: string }).code !== 'SQLITE_CANTOPEN') throw stateUnavailable(file, error) ?? unreadableState(file, error);
  }
  try {
    const bytes = fs.readFileSync(file);
    if (bytes.length >= 20) bytes[18] = bytes[19] = 1;
    return new Sqlite(bytes, { readonly: true });
  } catch (error) {
    throw stateUnavailable(file, error) ?? unreadableState(file, error);
  }
}

/** How long a write waits for another process's write transaction before giving up with a sentence. */
export const BUSY_TIMEOUT_MS = 5000;

function configure(db: Database): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // Switching a fresh file to WAL takes an exclusive lock, and SQLite answers a second process doing
  // the same (two cron jobs on a new PINSYNC_HOME) with SQLITE_BUSY at once, without the busy handler.
  whileBusy(() => db.pragma('journal_mode = WAL'));
  // FULL: an acknowledged batch must survive a power cut or reboot, not just a killed process.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -16384'); // 16 MiB: keeps the 10M-user mirror diff inside its memory budget
  db.pragma('temp_store = FILE'); // the mirror's staging tables spill to disk, not to RAM
  db.pragma('temp.cache_size = -8192');
}

/** Runs `step`, trying again on SQLITE_BUSY for up to BUSY_TIMEOUT_MS (this is synchronous code). */
function whileBusy<T>(step: () => T): T {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return step();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      Atomics.wait(pauseCell, 0, 0, 10 + Math.random() * 20);
    }
  }
}

const pauseCell = new Int32Array(new SharedArrayBuffer(4));

function checkOwnership(db: Database, file: string): void {
  const applicationId = db.pragma('application_id', { simple: true }) as number;
  const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_schema`).get() as { n: number };
  if (applicationId === 0 && tables.n === 0) {
    db.pragma(`application_id = ${APPLICATION_ID}`);
    return;
  }
  if (applicationId !== APPLICATION_ID) {
    throw new StateFileError(
      `The state file ${file} belongs to another program, not pinsync: move it aside or set PINSYNC_HOME to another folder.`,
    );
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > MIGRATIONS.length) {
    throw new StateFileError(
      `The state file ${file} was written by a newer pinsync (schema ${version}): upgrade pinsync or move the file aside.`,
    );
  }
}

function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.exec(MIGRATIONS[version]!);
    db.pragma(`user_version = ${version + 1}`);
  }
}

function secondsText(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

function unreadableState(file: string, error: unknown): StateFileError {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StateFileError(
      `The state file ${file} is corrupt or not a database: move it aside (pinsync starts a fresh one; resumable runs and mirror snapshots in it are lost).`,
      { cause: error },
    );
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new StateFileError(`Cannot open the state file ${file} (${reason}): check its permissions or set PINSYNC_HOME.`, {
    cause: error,
  });
}

/**
 * The sentence for a state folder or file that cannot take a write now (busy, full, unwritable), or
 * undefined for any other error. Used when opening and for every write during a run.
 */
export function stateUnavailable(file: string, error: unknown, waitedMs = BUSY_TIMEOUT_MS): StateUnavailableError | undefined {
  if (error instanceof PinsyncError) return undefined;
  const code = (error as { code?: string } | undefined)?.code ?? '';
  const home = path.dirname(file);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_BUSY_')) {
    return new StateUnavailableError(
      `The state file ${file} stayed locked by another process for ${secondsText(waitedMs)}: wait for it to finish (or stop it), then run this again.`,
      { cause: error },
    );
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return new StateUnavailableError(`The disk holding PINSYNC_HOME (${home}) is full: free some space, then run this again.`, { cause: error });
  }
  const why: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'read-only file system',
    EEXIST: 'a file is in the way of the folder',
    ENOTDIR: 'a file is in the way of the folder',
    SQLITE_READONLY: 'read-only',
    SQLITE_CANTOPEN: 'cannot create files there',
  };
  const reason = why[code];
  if (reason === undefined) return undefined;
  return new StateUnavailableError(
    `PINSYNC_HOME (${home}) cannot hold pinsync's state (${reason}): fix it or set PINSYNC_HOME to a writable folder.`,
    { cause: error },
  );
}

/**
 * A SQLite error that escaped a run (busy or full state file), or a file-system error on pinsync's own
 * folders (PINSYNC_HOME is a file, read-only, full): the same sentence the journal gives, so the exit
 * code printed and the one told to CI (outputs, notifications) agree.
 */
export function stateProblem(error: unknown, paths: { configFile: string; stateFile: string }): StateUnavailableError | undefined {
  const { code, path: failedPath } = (error ?? {}) as { code?: unknown; path?: unknown };
  if (typeof code !== 'string') return undefined;
  if (code.startsWith('SQLITE_')) return stateUnavailable(paths.stateFile, error);
  if (typeof failedPath !== 'string') return undefined;
  const own = [paths.configFile, paths.stateFile].find((file) => failedPath === file || failedPath.startsWith(path.dirname(file) + path.sep));
  return own ? stateUnavailable(own, error) : undefined;
}
