// What a run's journal in PINSYNC_HOME/state.db says, read as a user could with sqlite3: batches by
// state (acknowledged, or sent and not yet answered) and the size of the mirror snapshot.
import fs from 'node:fs';
import path from 'node:path';
import { openStateStore, type StateStore } from '../../src/state/store.js';

type BatchState = 'acknowledged' | 'sent' | 'errored';

async function query<T>(home: string, read: (db: StateStore['db']) => T): Promise<T> {
  const store = await openStateStore(path.join(home, 'state.db'));
  try {
    return read(store.db);
  } finally {
    store.close();
  }
}

/** Records of the batches the journal shows in one state ('sent': in flight, at most these may be sent twice). */
export function recordsInState(home: string, state: BatchState): Promise<number> {
  return query(home, (db) => (db.prepare('SELECT coalesce(sum(records), 0) AS n FROM batches WHERE state = ?').get(state) as { n: number }).n);
}

/** The batches the journal of the run in `home` holds (none before the run has started one). */
export async function journalBatches(home: string): Promise<{ state: string; firstAttemptAt: number }[]> {
  if (!fs.existsSync(path.join(home, 'state.db'))) return [];
  return query(home, (db) => db.prepare('SELECT state, first_attempt_at AS firstAttemptAt FROM batches').all() as { state: string; firstAttemptAt: number }[]);
}

/** The number of users the (only) mirror snapshot in `home` holds. */
export function snapshotSize(home: string): Promise<number> {
  return query(home, (db) => (db.prepare('SELECT size FROM snapshots').get() as { size: number }).size);
}
