// Mirror snapshots: the hashed records last synced to each customer list, and the diff of a new
// input against them. Everything runs inside SQLite (temp tables on disk), never in JS memory, so
// ten million users fit in a few hundred MB. The diffs of one run (a fan-out: one per audience) share
// one connection: each has its own temp tables, and their rows are staged in shared transactions.
import type { Database } from './database.js';

/** Staged rows are appended in transactions of this many rows: big enough to be fast, small enough to stay light. */
const STAGING_TRANSACTION_ROWS = 50_000;
const PAGE_SIZE = 5_000;

export interface DiffCounts {
  /** Records in the snapshot before this sync (0 on a first sync). */
  snapshotSize: number;
  /** Distinct records in the input. */
  inputSize: number;
  /** Records in the input and not in the snapshot: to ADD. */
  added: number;
  /** Input rows carrying at least one record to ADD. */
  addedRows: number;
  /** Records in the snapshot and not in the input: to REMOVE. */
  removed: number;
  /** Whether a snapshot existed (a first sync adds everything and removes nothing). */
  hasSnapshot: boolean;
}

export interface AddedRow {
  line: number;
  records: string[];
}

export function listKey(adAccountId: string, customerListId: string): string {
  return `${adAccountId}/${customerListId}`;
}

/** An audience a column-driven sync filled (its snapshot is under `listKey`). */
export interface SegmentAudience {
  listKey: string;
  adAccountId: string;
  audienceId: string | null;
  audienceName: string;
}

/** The staging transaction of one connection, shared by every diff staged on it. */
class StagingTransaction {
  private rows = 0;

  constructor(private readonly db: Database) {}

  /** Before a row's appends: opens a transaction unless one is open. */
  begin(): void {
    if (this.rows === 0 && !this.db.inTransaction) this.db.exec('BEGIN');
  }

  /** After a row's appends: commits every STAGING_TRANSACTION_ROWS rows. */
  rowStaged(): void {
    if (++this.rows >= STAGING_TRANSACTION_ROWS) this.commit();
  }

  commit(): void {
    if (this.rows > 0 && this.db.inTransaction) this.db.exec('COMMIT');
    this.rows = 0;
  }

  rollback(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.rows = 0;
  }
}

export class SnapshotStore {
  private readonly staging: StagingTransaction;
  /** Numbers the temp tables of each diff started on this connection. */
  private diffs = 0;

  constructor(private readonly db: Database) {
    this.staging = new StagingTransaction(db);
  }

  /**
   * A removal Pinterest acknowledged (push --remove, a `mode: remove` job): the records leave the list's
   * snapshot too, so the next sync adds them back when its file still holds them. Returns how many left.
   */
  forget(key: string, records: readonly string[]): number {
    const current = this.generation(key);
    if (!current || records.length === 0) return 0;
    const remove = this.db.prepare(`DELETE FROM snapshot_members WHERE generation = ? AND hash = ?`);
    let removed = 0;
    this.db.transaction(() => {
      for (const record of records) removed += remove.run(current.generation, Buffer.from(record, 'hex')).changes;
      if (removed > 0) this.db.prepare(`UPDATE snapshots SET size = size - ? WHERE list_key = ?`).run(removed, key);
    }).immediate();
    return removed;
  }

  /** The audiences the syncs of one column scope filled, by name. */
  segmentAudiences(scope: string): SegmentAudience[] {
    return this.db
      .prepare(
        `SELECT list_key AS listKey, ad_account_id AS adAccountId, audience_id AS audienceId, audience_name AS audienceName
         FROM segment_audiences WHERE scope = ? ORDER BY audience_name`,
      )
      .all(scope) as SegmentAudience[];
  }

  /** A sync of the column scope filled this audience (its snapshot was just committed). */
  rememberSegmentAudience(scope: string, audience: SegmentAudience): void {
    this.db
      .prepare(
        `INSERT INTO segment_audiences (scope, list_key, ad_account_id, audience_id, audience_name) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (scope, list_key) DO UPDATE SET audience_id = excluded.audience_id, audience_name = excluded.audience_name`,
      )
      .run(scope, audience.listKey, audience.adAccountId, audience.audienceId, audience.audienceName);
  }

  /** The audience was mirrored to empty (or is gone): it is no longer the column's. */
  forgetSegmentAudience(scope: string, listKey: string): void {
    this.db.prepare(`DELETE FROM segment_audiences WHERE scope = ? AND list_key = ?`).run(scope, listKey);
  }

  generation(key: string): { generation: number; size: number } | undefined {
    return this.db.prepare(`SELECT generation, size FROM snapshots WHERE list_key = ?`).get(key) as
      | { generation: number; size: number }
      | undefined;
  }

  /** Starts staging a new input for a diff against the list's snapshot. */
  startDiff(key: string): MirrorDiff {
    return new MirrorDiff(this.db, key, this.generation(key), this.staging, ++this.diffs);
  }
}

/**
 * One sync's diff. Stage every input row, deduplicate and diff in SQL, then read the ADD rows and
 * the REMOVE records page by page, and finally replace the snapshot in one transaction.
 */
export class MirrorDiff {
  private readonly append;
  private stagedRows = 0;
  private stagedRecords = 0;
  private counts: DiffCounts | undefined;
  /** This diff's temp tables (one connection may hold several diffs). */
  private readonly raw: string;
  private readonly staged: string;
  private readonly added: string;
  private readonly removed: string;
  /** After diff(): rows with at least one record no earlier row had. */
  newRows = 0;
  /** After diff(): rows whose every record an earlier row already had. */
  duplicateRows = 0;

  constructor(
    private readonly db: Database,
    readonly key: string,
    private readonly previous: { generation: number; size: number } | undefined,
    private readonly staging: StagingTransaction,
    id: number,
  ) {
    [this.raw, this.staged, this.added, this.removed] = ['raw', 'staging', 'added', 'removed'].map((name) => `${name}_${id}`) as [string, string, string, string];
    this.dropTables();
    db.exec(`CREATE TEMP TABLE ${this.raw} (hash BLOB NOT NULL, line INTEGER NOT NULL)`);
    this.append = db.prepare(`INSERT INTO temp.${this.raw} (hash, line) VALUES (?, ?)`);
  }

  /**
   * Stages one input row's first `count` hashed records. Rows are appended as they come (sequential
   * writes); deduplication happens in diff() with one sort, where the earliest line owns a record.
   */
  stageRow(line: number, records: readonly string[], count = records.length): void {
    this.staging.begin();
    for (let i = 0; i < count; i++) this.append.run(Buffer.from(records[i]!, 'hex'), line);
    this.stagedRows++;
    this.stagedRecords += count;
    this.staging.rowStaged();
  }

  /** One external sort turns the appended rows into a set keyed by hash, each owned by its first line. */
  private deduplicate(): void {
    this.staging.commit();
    if (!this.db.prepare(`SELECT 1 FROM temp.sqlite_schema WHERE name = ?`).get(this.raw)) return;
    this.db.transaction(() => {
      this.db.exec(`CREATE TEMP TABLE ${this.staged} (hash BLOB PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO temp.${this.staged} (hash, line) SELECT hash, min(line) FROM temp.${this.raw} GROUP BY hash ORDER BY hash;
        DROP TABLE temp.${this.raw};`);
    })();
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    this.newRows =
      this.stagedRecords === this.stagedRows
        ? count(`SELECT count(*) AS n FROM temp.${this.staged}`)
        : count(`SELECT count(DISTINCT line) AS n FROM temp.${this.staged}`);
    this.duplicateRows = this.stagedRows - this.newRows;
  }

  private dropTables(): void {
    this.db.exec([this.raw, this.staged, this.added, this.removed].map((table) => `DROP TABLE IF EXISTS temp.${table};`).join(' '));
  }

  /** Computes the difference once the whole input is staged. */
  diff(): DiffCounts {
    this.deduplicate();
    const generation = this.previous?.generation ?? -1;
    this.db.transaction(() => {
      this.db.exec(`CREATE TEMP TABLE ${this.added} (line INTEGER NOT NULL, hash BLOB NOT NULL)`);
      this.db
        .prepare(
          `INSERT INTO temp.${this.added} (line, hash)
           SELECT s.line, s.hash FROM temp.${this.staged} s
           WHERE NOT EXISTS (SELECT 1 FROM snapshot_members m WHERE m.generation = ? AND m.hash = s.hash)
           ORDER BY s.line`,
        )
        .run(generation);
      this.db.exec(`CREATE TEMP TABLE ${this.removed} (hash BLOB NOT NULL)`);
      this.db
        .prepare(
          `INSERT INTO temp.${this.removed} (hash)
           SELECT m.hash FROM snapshot_members m
           WHERE m.generation = ? AND NOT EXISTS (SELECT 1 FROM temp.${this.staged} s WHERE s.hash = m.hash)
           ORDER BY m.hash`,
        )
        .run(generation);
    })();
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    this.counts = {
      snapshotSize: this.previous?.size ?? 0,
      inputSize: count(`SELECT count(*) AS n FROM temp.${this.staged}`),
      added: count(`SELECT count(*) AS n FROM temp.${this.added}`),
      addedRows: count(`SELECT count(DISTINCT line) AS n FROM temp.${this.added}`),
      removed: count(`SELECT count(*) AS n FROM temp.${this.removed}`),
      hasSnapshot: this.previous !== undefined,
    };
    return this.counts;
  }

  /** Input rows with records to ADD, in line order, each with only its new records. */
  *addedRows(): Generator<AddedRow> {
    const page = this.db.prepare(
      `SELECT rowid AS id, line, hash FROM temp.${this.added} WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE_SIZE}`,
    );
    let after = 0;
    let current: AddedRow | undefined;
    for (;;) {
      const rows = page.all(after) as { id: number; line: number; hash: Buffer }[];
      if (rows.length === 0) break;
      for (const row of rows) {
        if (current && current.line !== row.line) {
          yield current;
          current = undefined;
        }
        current ??= { line: row.line, records: [] };
        current.records.push(row.hash.toString('hex'));
      }
      after = rows[rows.length - 1]!.id;
    }
    if (current) yield current;
  }

  /** Records to REMOVE, in a stable order (so a resumed sync numbers them the same way). */
  *removedRecords(): Generator<string> {
    const page = this.db.prepare(`SELECT rowid AS id, hash FROM temp.${this.removed} WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE_SIZE}`);
    let after = 0;
    for (;;) {
      const rows = page.all(after) as { id: number; hash: Buffer }[];
      if (rows.length === 0) return;
      for (const row of rows) yield row.hash.toString('hex');
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Pinterest acknowledged the whole diff: the staged input becomes the list's snapshot, atomically. */
  /** `alongside` runs in the same transaction (one durable commit, not two). */
  commitSnapshot(runId: number | undefined, now: number, key = this.key, alongside?: (size: number) => void): void {
    this.deduplicate();
    this.db.transaction(() => {
      const next = (this.db.prepare(`SELECT coalesce(max(generation), 0) + 1 AS g FROM snapshots`).get() as { g: number }).g;
      const { changes } = this.db
        .prepare(`INSERT INTO snapshot_members (generation, hash) SELECT ?, hash FROM temp.${this.staged} ORDER BY hash`)
        .run(next);
      if (this.previous) this.db.prepare(`DELETE FROM snapshot_members WHERE generation = ?`).run(this.previous.generation);
      this.db
        .prepare(
          `INSERT INTO snapshots (list_key, generation, size, run_id, taken_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (list_key) DO UPDATE SET generation = excluded.generation, size = excluded.size,
             run_id = excluded.run_id, taken_at = excluded.taken_at`,
        )
        .run(key, next, changes, runId ?? null, now);
      alongside?.(changes);
    }).immediate();
  }

  /** Frees the temp tables (they also vanish when the connection closes). */
  dispose(): void {
    if (!this.db.open) return;
    this.staging.rollback();
    this.dropTables();
  }
}
