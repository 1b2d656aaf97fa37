// Run history and each run's batches: which line ranges Pinterest acknowledged, which are in flight
// or failed, and when each range was first tried (the retry window survives restarts).
import type { Database } from './database.js';

export type RunStatus = 'running' | 'finished' | 'interrupted' | 'failed';
/** 'split': Pinterest rejected the batch and its halves were sent instead (not a failure by itself). */
export type BatchState = 'sent' | 'acknowledged' | 'failed' | 'split';

export interface RunRecord {
  id: number;
  runKey: string;
  profile: string;
  command: string;
  operation: string;
  resumable: boolean;
  inputName: string | null;
  adAccountId: string | null;
  audience: string | null;
  audienceId: string | null;
  audienceName: string | null;
  customerListId: string | null;
  status: RunStatus;
  attempts: number;
  startedAt: number;
  updatedAt: number;
  finishedAt: number | null;
  exitCode: number | null;
  reportJson: string | null;
  /** The lock a live attempt holds when it is not the run's own (a fan-out's shared lock); null: runLockKey(runKey). */
  lockKey: string | null;
}

export interface NewRun {
  runKey: string;
  profile: string;
  command: string;
  operation: string;
  resumable: boolean;
  inputName?: string;
  adAccountId?: string;
  audience?: string;
  lockKey?: string;
}

export interface LineRange {
  firstLine: number;
  lastLine: number;
}

export interface BatchRecord extends LineRange {
  /** The exact lines the batch carried, as [first, last] pairs (a range may hold rows sent elsewhere). */
  lines: Buffer | null;
  records: number;
  state: BatchState;
  firstAttemptAt: number;
  lastAttemptAt: number;
  reason: string | null;
}

const RUN_COLUMNS = `id, run_key AS runKey, profile, command, operation, resumable, input_name AS inputName,
  ad_account_id AS adAccountId, audience, audience_id AS audienceId, audience_name AS audienceName,
  customer_list_id AS customerListId, status, attempts, started_at AS startedAt, updated_at AS updatedAt,
  finished_at AS finishedAt, exit_code AS exitCode, report_json AS reportJson, lock_key AS lockKey`;

export class RunStore {
  constructor(private readonly db: Database) {}

  create(run: NewRun, now: number): RunRecord {
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO runs (run_key, profile, command, operation, resumable, input_name, ad_account_id, audience,
           status, started_at, updated_at, lock_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)`,
      )
      .run(run.runKey, run.profile, run.command, run.operation, run.resumable ? 1 : 0, run.inputName ?? null,
        run.adAccountId ?? null, run.audience ?? null, now, now, run.lockKey ?? null);
    return this.get(Number(lastInsertRowid))!;
  }

  get(id: number): RunRecord | undefined {
    const row = this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(id) as RunRecord | undefined;
    return row && normaliseRun(row);
  }

  /** The newest run of the same command on the same input, if any. */
  latestWithKey(runKey: string): RunRecord | undefined {
    const row = this.db
      .prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_key = ? ORDER BY id DESC LIMIT 1`)
      .get(runKey) as RunRecord | undefined;
    return row && normaliseRun(row);
  }

  list(limit = 200): RunRecord[] {
    const rows = this.db.prepare(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?`).all(limit) as RunRecord[];
    return rows.map(normaliseRun);
  }

  /** A new attempt of an unfinished run: failed ranges get a fresh retry window. */
  startAttempt(id: number, now: number, lockKey: string | null = null): void {
    this.db.transaction(() => {
      this.db
        .prepare(`UPDATE runs SET status = 'running', attempts = attempts + 1, updated_at = ?, finished_at = NULL, lock_key = ? WHERE id = ?`)
        .run(now, lockKey, id);
      this.db.prepare(`DELETE FROM batches WHERE run_id = ? AND state = 'failed'`).run(id);
    }).immediate();
  }

  describeTarget(id: number, target: { adAccountId?: string; audienceId?: string; audienceName?: string; customerListId?: string }): void {
    this.db
      .prepare(
        `UPDATE runs SET ad_account_id = coalesce(?, ad_account_id), audience_id = coalesce(?, audience_id),
           audience_name = coalesce(?, audience_name), customer_list_id = coalesce(?, customer_list_id) WHERE id = ?`,
      )
      .run(target.adAccountId ?? null, target.audienceId ?? null, target.audienceName ?? null, target.customerListId ?? null, id);
  }

  finish(id: number, status: RunStatus, exitCode: number, reportJson: string, now: number): void {
    this.db
      .prepare(`UPDATE runs SET status = ?, exit_code = ?, report_json = ?, finished_at = ?, updated_at = ? WHERE id = ?`)
      .run(status, exitCode, reportJson, now, now, id);
  }

  batches(runId: number, state?: BatchState): BatchRecord[] {
    const sql = `SELECT first_line AS firstLine, last_line AS lastLine, records, lines, state, first_attempt_at AS firstAttemptAt,
        last_attempt_at AS lastAttemptAt, reason FROM batches WHERE run_id = ? ${state ? 'AND state = ?' : ''} ORDER BY first_line`;
    const params: unknown[] = state ? [runId, state] : [runId];
    return this.db.prepare(sql).all(...params) as BatchRecord[];
  }

  /**
   * Records a batch about to be sent. Its first attempt is the earliest of any unacknowledged batch
   * of this run it overlaps (the same users tried before a restart), so the retry window carries over.
   */
  batchSent(runId: number, range: LineRange, records: number, now: number): void {
    this.db.transaction(() => {
      const earlier = this.db
        .prepare(
          `SELECT min(first_attempt_at) AS at FROM batches
           WHERE run_id = ? AND state IN ('sent', 'split') AND first_line <= ? AND last_line >= ?`,
        )
        .get(runId, range.lastLine, range.firstLine) as { at: number | null };
      this.db
        .prepare(
          `INSERT INTO batches (run_id, first_line, last_line, records, state, first_attempt_at, last_attempt_at)
           VALUES (?, ?, ?, ?, 'sent', ?, ?)
           ON CONFLICT (run_id, first_line, last_line) DO UPDATE SET state = 'sent', records = excluded.records,
             last_attempt_at = excluded.last_attempt_at, reason = NULL`,
        )
        .run(runId, range.firstLine, range.lastLine, records, earlier.at ?? now, now);
    }).immediate();
  }

  /** Acknowledged: this range is done; overlapping leftovers of earlier attempts are dropped. */
  batchAcknowledged(runId: number, range: LineRange, records: number, lines: Buffer, now: number): void {
    this.db.transaction(() => {
      this.db
        .prepare(`DELETE FROM batches WHERE run_id = ? AND state <> 'acknowledged' AND first_line >= ? AND last_line <= ?`)
        .run(runId, range.firstLine, range.lastLine);
      this.db
        .prepare(
          `INSERT INTO batches (run_id, first_line, last_line, records, lines, state, first_attempt_at, last_attempt_at)
           VALUES (?, ?, ?, ?, ?, 'acknowledged', ?, ?)
           ON CONFLICT (run_id, first_line, last_line) DO UPDATE SET state = 'acknowledged', reason = NULL,
             lines = excluded.lines, last_attempt_at = excluded.last_attempt_at`,
        )
        .run(runId, range.firstLine, range.lastLine, records, lines, now, now);
      this.db.prepare(`UPDATE runs SET updated_at = ? WHERE id = ?`).run(now, runId);
    }).immediate();
  }

  batchFailed(runId: number, range: LineRange, records: number, reason: string, now: number, state: 'failed' | 'split' = 'failed'): void {
    this.db
      .prepare(
        `INSERT INTO batches (run_id, first_line, last_line, records, state, first_attempt_at, last_attempt_at, reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id, first_line, last_line) DO UPDATE SET state = excluded.state, reason = excluded.reason,
           last_attempt_at = excluded.last_attempt_at`,
      )
      .run(runId, range.firstLine, range.lastLine, records, state, now, now, reason);
  }
}

function normaliseRun(row: RunRecord): RunRecord {
  return { ...row, resumable: Boolean(row.resumable) };
}
