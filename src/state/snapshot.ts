// Mirror snapshots: the hashed records last synced to each customer list, and the diff of a new
// input against them. Everything runs inside SQLite (temp tables on disk), never in JS memory, so
// ten million users fit in a few hundred MB.
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

export class SnapshotStore {
  constructor(private readonly db: Database) {}

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
    return new MirrorDiff(this.db, key, this.generation(key));
  }
}

/**
 * One sync's diff. Stage every input row, deduplicate and diff in SQL, then read the ADD rows and
 * the REMOVE records page by page, and finally replace the snapshot in one transaction.
 */
export class MirrorDiff {
  private readonly append;
  private rowsInTransaction = 0;
  private stagedRows = 0;
  private stagedRecords = 0;
  private counts: DiffCounts | undefined;
  /** After diff(): rows with at least one record no earlier row had. */
  newRows = 0;
  /** After diff(): rows whose every record an earlier row already had. */
  duplicateRows = 0;

  constructor(
    private readonly db: Database,
    readonly key: string,
    private readonly previous: { generation: number; size: number } | undefined,
  ) {
    db.exec(`DROP TABLE IF EXISTS temp.raw; DROP TABLE IF EXISTS temp.staging; DROP TABLE IF EXISTS temp.added;
      DROP TABLE IF EXISTS temp.removed; CREATE TEMP TABLE raw (hash BLOB NOT NULL, line INTEGER NOT NULL);`);
    this.append = db.prepare(`INSERT INTO temp.raw (hash, line) VALUES (?, ?)`);
  }

  /**
   * Stages one input row's first `count` hashed records. Rows are appended as they come (sequential
   * writes); deduplication happens in diff() with one sort, where the earliest line owns a record.
   */
  stageRow(line: number, records: readonly string[], count = records.length): void {
    if (this.rowsInTransaction === 0) this.db.exec('BEGIN');
    for (let i = 0; i < count; i++) this.append.run(Buffer.from(records[i]!, 'hex'), line);
    this.stagedRows++;
    this.stagedRecords += count;
    if (++this.rowsInTransaction >= STAGING_TRANSACTION_ROWS) this.commitAppends();
  }

  private commitAppends(): void {
    if (this.rowsInTransaction > 0) {
      this.db.exec('COMMIT');
      this.rowsInTransaction = 0;
    }
  }

  /** One external sort turns the appended rows into a set keyed by hash, each owned by its first line. */
  private deduplicate(): void {
    this.commitAppends();
    if (!this.db.prepare(`SELECT 1 FROM temp.sqlite_schema WHERE name = 'raw'`).get()) return;
    this.db.transaction(() => {
      this.db.exec(`CREATE TEMP TABLE staging (hash BLOB PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;
        INSERT INTO temp.staging (hash, line) SELECT hash, min(line) FROM temp.raw GROUP BY hash ORDER BY hash;
        DROP TABLE temp.raw;`);
    })();
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    this.newRows =
      this.stagedRecords === this.stagedRows
        ? count(`SELECT count(*) AS n FROM temp.staging`)
        : count(`SELECT count(DISTINCT line) AS n FROM temp.staging`);
    this.duplicateRows = this.stagedRows - this.newRows;
  }

  /** Computes the difference once the whole input is staged. */
  diff(): DiffCounts {
    this.deduplicate();
    const generation = this.previous?.generation ?? -1;
    this.db.transaction(() => {
      this.db.exec(`CREATE TEMP TABLE added (line INTEGER NOT NULL, hash BLOB NOT NULL)`);
      this.db
        .prepare(
          `INSERT INTO temp.added (line, hash)
           SELECT s.line, s.hash FROM temp.staging s
           WHERE NOT EXISTS (SELECT 1 FROM snapshot_members m WHERE m.generation = ? AND m.hash = s.hash)
           ORDER BY s.line`,
        )
        .run(generation);
      this.db.exec(`CREATE TEMP TABLE removed (hash BLOB NOT NULL)`);
      this.db
        .prepare(
          `INSERT INTO temp.removed (hash)
           SELECT m.hash FROM snapshot_members m
           WHERE m.generation = ? AND NOT EXISTS (SELECT 1 FROM temp.staging s WHERE s.hash = m.hash)
           ORDER BY m.hash`,
        )
        .run(generation);
    })();
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    this.counts = {
      snapshotSize: this.previous?.size ?? 0,
      inputSize: count(`SELECT count(*) AS n FROM temp.staging`),
      added: count(`SELECT count(*) AS n FROM temp.added`),
      addedRows: count(`SELECT count(DISTINCT line) AS n FROM temp.added`),
      removed: count(`SELECT count(*) AS n FROM temp.removed`),
      hasSnapshot: this.previous !== undefined,
    };
    return this.counts;
  }

  /** Input rows with records to ADD, in line order, each with only its new records. */
  *addedRows(): Generator<AddedRow> {
    const page = this.db.prepare(
      `SELECT rowid AS id, line, hash FROM temp.added WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE_SIZE}`,
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
    const page = this.db.prepare(`SELECT rowid AS id, hash FROM temp.removed WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE_SIZE}`);
    let after = 0;
    for (;;) {
      const rows = page.all(after) as { id: number; hash: Buffer }[];
      if (rows.length === 0) return;
      for (const row of rows) yield row.hash.toString('hex');
      after = rows[rows.length - 1]!.id;
    }
  }

  /** Pinterest acknowledged the whole diff: the staged input becomes the list's snapshot, atomically. */
  commitSnapshot(runId: number | undefined, now: number, key = this.key): void {
    this.deduplicate();
    this.db.transaction(() => {
      const next = (this.db.prepare(`SELECT coalesce(max(generation), 0) + 1 AS g FROM snapshots`).get() as { g: number }).g;
      const { changes } = this.db
        .prepare(`INSERT INTO snapshot_members (generation, hash) SELECT ?, hash FROM temp.staging ORDER BY hash`)
        .run(next);
      if (this.previous) this.db.prepare(`DELETE FROM snapshot_members WHERE generation = ?`).run(this.previous.generation);
      this.db
        .prepare(
          `INSERT INTO snapshots (list_key, generation, size, run_id, taken_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (list_key) DO UPDATE SET generation = excluded.generation, size = excluded.size,
             run_id = excluded.run_id, taken_at = excluded.taken_at`,
        )
        .run(key, next, changes, runId ?? null, now);
    }).immediate();
  }

  /** Frees the temp tables (they also vanish when the connection closes). */
  dispose(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.exec(`DROP TABLE IF EXISTS temp.raw; DROP TABLE IF EXISTS temp.staging; DROP TABLE IF EXISTS temp.added; DROP TABLE IF EXISTS temp.removed;`);
  }
}
