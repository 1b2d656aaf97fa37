// The state store under PINSYNC_HOME: one SQLite file holding run history, resume journals and
// mirror snapshots, and the match health read back from Pinterest. Hashed identifiers only; never raw
// identifiers or tokens.
import { openDatabase, openDatabaseForReading, StateUnavailableError, type Database } from './database.js';
import { RunStore } from './runs.js';
import { SnapshotStore } from './snapshot.js';
import { MatchHealthStore } from './match-health.js';

export interface StateStore {
  readonly file: string;
  readonly db: Database;
  readonly runs: RunStore;
  readonly snapshots: SnapshotStore;
  readonly health: MatchHealthStore;
  close(): void;
}

export async function openStateStore(file: string): Promise<StateStore> {
  return storeOver(file, await openDatabase(file));
}

/** For commands that only read (`pinsync runs`): a home that cannot be written is still read. */
export async function openStateStoreForReading(file: string): Promise<StateStore> {
  try {
    return await openStateStore(file);
  } catch (error) {
    if (!(error instanceof StateUnavailableError)) throw error;
    return storeOver(file, await openDatabaseForReading(file));
  }
}

function storeOver(file: string, db: Database): StateStore {
  return {
    file,
    db,
    runs: new RunStore(db),
    snapshots: new SnapshotStore(db),
    health: new MatchHealthStore(db),
    close: () => {
      if (db.open) db.close();
    },
  };
}
