// Mirror snapshots: the hashed records last synced to each customer list, and the diff of a new
// input against them. Everything runs inside SQLite (temp tables on disk), never in JS memory, so
// ten million users fit in a few hundred MB. records_v2 rows (API 5.28: a user's identifiers in one
// row) are kept per identifier with its field and its user's row, plus a fingerprint per row: a row
// whose identifiers changed is sent again whole, and the identifiers no row of the file holds any more
// leave grouped by the user they belonged to (a user who left leaves as one row). The diffs of one run
// (a fan-out: one per audience) share one connection: each has temp tables of its own, and their rows
// are staged in shared transactions.
import { createHash } from 'node:crypto';
import type { Database } from './database.js';
import { forEachIdentifier, isRowRecord } from '../identify/row-record.js';

/** Staged rows are appended in transactions of this many rows: big enough to be fast, small enough to stay light. */
const STAGING_TRANSACTION_ROWS = 50_000;
const PAGE_SIZE = 5_000;

export interface DiffCounts {
  /** Records (identifiers) in the snapshot before this sync (0 on a first sync). */
  snapshotSize: number;
  /** Distinct records in the input. */
  inputSize: number;
  /** Records to ADD: those not in the snapshot (records_v2: every identifier of a row that is new or changed). */
  added: number;
  /** Input rows carrying at least one record to ADD. */
  addedRows: number;
  /** Records in the snapshot and not in the input: to REMOVE. */
  removed: number;
  /** What the removals are sent as: one per plain record, one row per user for records_v2 identifiers. */
  removedRows: number;
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
   * snapshot too (a records_v2 row: each of its identifiers, and its fingerprint), so the next sync adds
   * them back when its file still holds them. Returns how many identifiers left.
   */
  forget(key: string, records: readonly string[]): number {
    const current = this.generation(key);
    if (!current || records.length === 0) return 0;
    const member = this.db.prepare(`DELETE FROM snapshot_members WHERE generation = ? AND hash = ?`);
    const print = this.db.prepare(`DELETE FROM snapshot_rows WHERE generation = ? AND fingerprint = ?`);
    let removed = 0;
    this.db.transaction(() => {
      for (const record of records) {
        if (!isRowRecord(record)) {
          removed += member.run(current.generation, Buffer.from(record, 'hex')).changes;
          continue;
        }
        forEachIdentifier(record, (_tag, start, end) => (removed += member.run(current.generation, Buffer.from(record.slice(start, end), 'hex')).changes));
        print.run(current.generation, rowFingerprint(record));
      }
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
  private readonly appendPrint;
  private stagedRows = 0;
  private stagedRecords = 0;
  private deduplicated = false;
  /** The rows are records_v2 rows (known from the first one staged). */
  private rowsV2 = false;
  private counts: DiffCounts | undefined;
  /** This diff's temp tables (one connection may hold several diffs). */
  private readonly t: DiffTables;
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
    this.t = diffTables(id);
    const { raw, rowprints } = this.t;
    this.dropTables();
    db.exec(`CREATE TEMP TABLE ${raw} (hash BLOB NOT NULL, line INTEGER NOT NULL, field TEXT);
      CREATE TEMP TABLE ${rowprints} (line INTEGER PRIMARY KEY, fingerprint BLOB NOT NULL);`);
    this.append = db.prepare(`INSERT INTO temp.${raw} (hash, line, field) VALUES (?, ?, ?)`);
    this.appendPrint = db.prepare(`INSERT OR REPLACE INTO temp.${rowprints} (line, fingerprint) VALUES (?, ?)`);
  }

  /**
   * Stages one input row's first `count` hashed records (or its records_v2 row). Rows are appended as
   * they come (sequential writes); deduplication happens in diff() with one sort, where the earliest
   * line owns a record.
   */
  stageRow(line: number, records: readonly string[], count = records.length): void {
    this.staging.begin();
    for (let i = 0; i < count; i++) {
      const record = records[i]!;
      if (isRowRecord(record)) this.stageRecordRow(line, record);
      else {
        this.append.run(Buffer.from(record, 'hex'), line, null);
        this.stagedRecords++;
      }
    }
    this.stagedRows++;
    this.staging.rowStaged();
  }

  /** A records_v2 row: each identifier with its field, and the row's fingerprint (its identifiers, in their order). */
  private stageRecordRow(line: number, row: string): void {
    this.rowsV2 = true;
    forEachIdentifier(row, (tag, start, end) => {
      this.append.run(Buffer.from(row.slice(start, end), 'hex'), line, tag);
      this.stagedRecords++;
    });
    this.appendPrint.run(line, rowFingerprint(row));
  }

  /**
   * One external sort turns the appended rows into a set keyed by hash, each owned by its first line.
   * records_v2 rows keep their appended identifiers (a changed row is sent again whole).
   */
  private deduplicate(): void {
    this.staging.commit();
    if (this.deduplicated) return;
    this.deduplicated = true;
    const { raw, staging, rawByLine } = this.t;
    this.db.transaction(() => {
      this.db.exec(`CREATE TEMP TABLE ${staging} (hash BLOB PRIMARY KEY, line INTEGER NOT NULL, field TEXT) WITHOUT ROWID;
        INSERT INTO temp.${staging} (hash, line, field) SELECT hash, min(line), min(field) FROM temp.${raw} GROUP BY hash ORDER BY hash;`);
      this.db.exec(this.rowsV2 ? `CREATE INDEX temp.${rawByLine} ON ${raw} (line)` : `DROP TABLE temp.${raw}`);
    })();
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    this.newRows =
      this.stagedRecords === this.stagedRows
        ? count(`SELECT count(*) AS n FROM temp.${staging}`)
        : count(`SELECT count(DISTINCT line) AS n FROM temp.${staging}`);
    this.duplicateRows = this.stagedRows - this.newRows;
  }

  /** Computes the difference once the whole input is staged. */
  diff(): DiffCounts {
    this.deduplicate();
    const generation = this.previous?.generation ?? -1;
    const { staging, added, removed } = this.t;
    this.db.transaction(() => {
      this.db.exec(`CREATE TEMP TABLE ${added} (line INTEGER NOT NULL, hash BLOB NOT NULL, field TEXT)`);
      this.db.prepare(this.rowsV2 ? addedRows(this.t) : addedRecords(this.t)).run(generation);
      this.db.exec(`CREATE TEMP TABLE ${removed} (hash BLOB NOT NULL, field TEXT, user_row INTEGER)`);
      this.db
        .prepare(
          `INSERT INTO temp.${removed} (hash, field, user_row)
           SELECT m.hash, m.field, m.user_row FROM snapshot_members m
           WHERE m.generation = ? AND NOT EXISTS (SELECT 1 FROM temp.${staging} s WHERE s.hash = m.hash)
           ORDER BY m.user_row, m.hash`,
        )
        .run(generation);
    })();
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    this.counts = {
      snapshotSize: this.previous?.size ?? 0,
      inputSize: count(`SELECT count(*) AS n FROM temp.${staging}`),
      added: count(`SELECT count(*) AS n FROM temp.${added}`),
      addedRows: count(`SELECT count(DISTINCT line) AS n FROM temp.${added}`),
      removed: count(`SELECT count(*) AS n FROM temp.${removed}`),
      removedRows: count(`SELECT count(DISTINCT CASE WHEN user_row IS NULL OR field IS NULL THEN -rowid ELSE user_row END) AS n FROM temp.${removed}`),
      hasSnapshot: this.previous !== undefined,
    };
    return this.counts;
  }

  /** Input rows with records to ADD, in line order: each with only its new records, or its whole records_v2 row. */
  *addedRows(): Generator<AddedRow> {
    const page = this.db.prepare(
      `SELECT rowid AS id, line, hash, field FROM temp.${this.t.added} WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE_SIZE}`,
    );
    let after = 0;
    let current: AddedRow | undefined;
    for (;;) {
      const rows = page.all(after) as { id: number; line: number; hash: Buffer; field: string | null }[];
      if (rows.length === 0) break;
      for (const row of rows) {
        if (current && current.line !== row.line) {
          yield joinedRow(current);
          current = undefined;
        }
        current ??= { line: row.line, records: [] };
        current.records.push((row.field ?? '') + row.hash.toString('hex'));
      }
      after = rows[rows.length - 1]!.id;
    }
    if (current) yield joinedRow(current);
  }

  /**
   * Records to REMOVE, in a stable order (so a resumed sync numbers them the same way): plain records
   * one by one, records_v2 identifiers as one row per user they belonged to.
   */
  *removedRecords(): Generator<string> {
    const page = this.db.prepare(
      `SELECT rowid AS id, hash, field, user_row AS userRow FROM temp.${this.t.removed} WHERE rowid > ? ORDER BY rowid LIMIT ${PAGE_SIZE}`,
    );
    let after = 0;
    let row: { user: number; text: string } | undefined;
    for (;;) {
      const rows = page.all(after) as { id: number; hash: Buffer; field: string | null; userRow: number | null }[];
      if (rows.length === 0) break;
      for (const removed of rows) {
        const hex = removed.hash.toString('hex');
        if (removed.field === null || removed.userRow === null) {
          yield hex;
          continue;
        }
        if (row && row.user !== removed.userRow) {
          yield row.text;
          row = undefined;
        }
        row ??= { user: removed.userRow, text: '' };
        row.text += removed.field + hex;
      }
      after = rows[rows.length - 1]!.id;
    }
    if (row) yield row.text;
  }

  /**
   * Pinterest acknowledged the whole diff: the staged input becomes the list's snapshot, atomically.
   * `alongside` runs in the same transaction (one durable commit, not two), told the new size.
   */
  commitSnapshot(runId: number | undefined, now: number, key = this.key, alongside?: (size: number) => void): void {
    this.deduplicate();
    const { staging, rowprints } = this.t;
    this.db.transaction(() => {
      const next = (this.db.prepare(`SELECT coalesce(max(generation), 0) + 1 AS g FROM snapshots`).get() as { g: number }).g;
      const { changes } = this.db
        .prepare(
          `INSERT INTO snapshot_members (generation, hash, field, user_row)
           SELECT ?, hash, field, CASE WHEN field IS NULL THEN NULL ELSE line END FROM temp.${staging} ORDER BY hash`,
        )
        .run(next);
      this.db.prepare(`INSERT OR IGNORE INTO snapshot_rows (generation, fingerprint) SELECT ?, fingerprint FROM temp.${rowprints}`).run(next);
      if (this.previous) {
        this.db.prepare(`DELETE FROM snapshot_members WHERE generation = ?`).run(this.previous.generation);
        this.db.prepare(`DELETE FROM snapshot_rows WHERE generation = ?`).run(this.previous.generation);
      }
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

  private dropTables(): void {
    const { raw, rowprints, staging, added, removed } = this.t;
    this.db.exec([raw, rowprints, staging, added, removed].map((table) => `DROP TABLE IF EXISTS temp.${table};`).join(' '));
  }
}

/** The temp tables of the diff numbered `id` (the index goes with its table). */
interface DiffTables {
  raw: string;
  rowprints: string;
  staging: string;
  added: string;
  removed: string;
  rawByLine: string;
}

function diffTables(id: number): DiffTables {
  const named = (name: string) => `${name}_${id}`;
  return { raw: named('raw'), rowprints: named('rowprints'), staging: named('staging'), added: named('added'), removed: named('removed'), rawByLine: named('raw_by_line') };
}

/** A records_v2 row's fingerprint: its identifiers, in their order (16 bytes of their SHA-256). */
function rowFingerprint(row: string): Buffer {
  return createHash('sha256').update(row).digest().subarray(0, 16);
}

/** Plain records: those not in the snapshot, each with the line that owns it. */
function addedRecords(t: DiffTables): string {
  return `INSERT INTO temp.${t.added} (line, hash, field)
  SELECT s.line, s.hash, NULL FROM temp.${t.staging} s
  WHERE NOT EXISTS (SELECT 1 FROM snapshot_members m WHERE m.generation = ? AND m.hash = s.hash)
  ORDER BY s.line`;
}

/**
 * records_v2: every identifier of each row that owns a record (is no duplicate) and that the snapshot
 * does not hold as it is (new, or its identifiers changed), in the row's own order.
 */
function addedRows(t: DiffTables): string {
  return `INSERT INTO temp.${t.added} (line, hash, field)
  SELECT r.line, r.hash, r.field FROM temp.${t.raw} r
  WHERE r.line IN (SELECT line FROM temp.${t.staging})
    AND NOT EXISTS (SELECT 1 FROM temp.${t.rowprints} p JOIN snapshot_rows k ON k.generation = ? AND k.fingerprint = p.fingerprint WHERE p.line = r.line)
  ORDER BY r.line, r.rowid`;
}

/** A records_v2 row's identifiers back in one row string; plain records stay as they are. */
function joinedRow(row: AddedRow): AddedRow {
  return row.records[0] !== undefined && isRowRecord(row.records[0]) ? { line: row.line, records: [row.records.join('')] } : row;
}
