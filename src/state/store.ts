// The state store under PINSYNC_HOME: one SQLite file holding run history, resume journals and
// mirror snapshots. Hashed identifiers only; never raw identifiers or tokens.
import { openDatabase, type Database } from './database.js';
import { RunStore } from './runs.js';
import { SnapshotStore } from './snapshot.js';

export interface StateStore {
  readonly file: string;
  readonly db: Database;
  readonly runs: RunStore;
  readonly snapshots: SnapshotStore;
  close(): void;
}

export async function openStateStore(file: string): Promise<StateStore> {
  const db = await openDatabase(file);
  return {
    file,
    db,
    runs: new RunStore(db),
    snapshots: new SnapshotStore(db),
    close: () => {
      if (db.open) db.close();
    },
  };
}
