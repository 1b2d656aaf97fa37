// Opens the SQLite state file (better-sqlite3, loaded lazily): WAL, durable commits, migrations,
// and one clear sentence instead of a crash when the file is corrupt or belongs to something else.
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { UsageError } from '../errors.js';
import { APPLICATION_ID, MIGRATIONS } from './migrations.js';

export type Database = BetterSqlite3.Database;

/** The state file is unreadable as pinsync state (exit 2: an input the user must move aside). */
export class StateFileError extends UsageError {}

export async function openDatabase(file: string): Promise<Database> {
  const { default: Sqlite } = await import('better-sqlite3');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Hashed identifiers are still personal data: owner-only, like the config and credential files.
  // SQLite gives its -wal and -shm files the main file's mode.
  fs.closeSync(fs.openSync(file, 'a', 0o600));
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
    throw unreadableState(file, error);
  }
}

function configure(db: Database): void {
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // FULL: an acknowledged batch must survive a power cut or reboot, not just a killed process.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -16384'); // 16 MiB: keeps the 10M-user mirror diff inside its memory budget
  db.pragma('temp_store = FILE'); // the mirror's staging tables spill to disk, not to RAM
  db.pragma('temp.cache_size = -8192');
}

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

function unreadableState(file: string, error: unknown): StateFileError {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StateFileError(
      `The state file ${file} is corrupt or not a database: move it aside (pinsync starts a fresh one; resumable runs and mirror snapshots in it are lost).`,
      { cause: error },
    );
  }
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new StateFileError(`The state file ${file} is locked by another pinsync: wait for it to finish and try again.`, {
      cause: error,
    });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new StateFileError(`Cannot open the state file ${file} (${reason}): check its permissions or set PINSYNC_HOME.`, {
    cause: error,
  });
}
