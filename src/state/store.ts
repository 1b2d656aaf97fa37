// The state store under PINSYNC_HOME: one SQLite file holding run history, resume journals and
// mirror snapshots, and the match health read back from Pinterest. Hashed identifiers only; never raw
// identifiers or tokens.
import { openDatabase, type Database } from './database.js';
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
  const db = await openDatabase(file);
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
