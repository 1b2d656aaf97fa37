// Match health per run: what Pinterest said of the run's customer list and audience once it had matched
// the upload (Pinterest deletes uploaded records after matching: only the status, the counts and the
// audience size can be read back), beside the users the run synced. Read by `pinsync runs` and
// `audiences show`; taken by the next run of the same list, or by --wait-ready.
import type { Database } from './database.js';

export interface HealthReading {
  checkedAt: number;
  /** PROCESSING, READY, TOO_SMALL, UPLOADING (the customer list's status). */
  listStatus: string | null;
  audienceStatus: string | null;
  /** Matched users Pinterest counts in the audience; null while under 100 (TOO_SMALL). */
  audienceSize: number | null;
  /** The users the run left in the audience (a sync: its synced rows); null for a push, which only adds. */
  usersSynced: number | null;
  warning: string | null;
}

export interface RunHealth extends HealthReading {
  runId: number;
}

/** A finished run of a list whose health was not read yet. */
export interface UncheckedRun {
  runId: number;
  operation: string;
  reportJson: string | null;
}

const READING_COLUMNS = `h.run_id AS runId, h.checked_at AS checkedAt, h.list_status AS listStatus, h.audience_status AS audienceStatus,
  h.audience_size AS audienceSize, h.users_synced AS usersSynced, h.warning AS warning`;

export class MatchHealthStore {
  constructor(private readonly db: Database) {}

  /**
   * The newest finished run of the list (before `beforeRunId`) still without a final reading: none, or
   * one taken while Pinterest was still matching (--wait-ready ran out), which the next run replaces.
   */
  latestUnchecked(adAccountId: string, customerListId: string, beforeRunId = Number.MAX_SAFE_INTEGER): UncheckedRun | undefined {
    return this.db
      .prepare(
        `SELECT r.id AS runId, r.operation, r.report_json AS reportJson FROM runs r
         WHERE r.ad_account_id = ? AND r.customer_list_id = ? AND r.id < ? AND r.status = 'finished' AND r.operation <> 'REMOVE'
           AND NOT EXISTS (SELECT 1 FROM audience_health h WHERE h.run_id = r.id AND coalesce(h.list_status, '') NOT IN ('PROCESSING', 'UPLOADING'))
         ORDER BY r.id DESC LIMIT 1`,
      )
      .get(adAccountId, customerListId, beforeRunId) as UncheckedRun | undefined;
  }

  /** The newest reading of the list before run `runId`: what a new reading is compared with. */
  previous(adAccountId: string, customerListId: string, runId: number): RunHealth | undefined {
    return this.db
      .prepare(
        `SELECT ${READING_COLUMNS} FROM audience_health h JOIN runs r ON r.id = h.run_id
         WHERE r.ad_account_id = ? AND r.customer_list_id = ? AND h.run_id < ? ORDER BY h.run_id DESC LIMIT 1`,
      )
      .get(adAccountId, customerListId, runId) as RunHealth | undefined;
  }

  record(runId: number, reading: HealthReading): void {
    this.db
      .prepare(
        `INSERT INTO audience_health (run_id, checked_at, list_status, audience_status, audience_size, users_synced, warning)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (run_id) DO UPDATE SET checked_at = excluded.checked_at, list_status = excluded.list_status,
           audience_status = excluded.audience_status, audience_size = excluded.audience_size,
           users_synced = excluded.users_synced, warning = excluded.warning`,
      )
      .run(runId, reading.checkedAt, reading.listStatus, reading.audienceStatus, reading.audienceSize, reading.usersSynced, reading.warning);
  }

  /** Readings by run, for `pinsync runs`. */
  ofRuns(runIds: readonly number[]): Map<number, RunHealth> {
    if (runIds.length === 0) return new Map();
    const rows = this.db
      .prepare(`SELECT ${READING_COLUMNS} FROM audience_health h WHERE h.run_id IN (${runIds.map(() => '?').join(',')})`)
      .all(...runIds) as RunHealth[];
    return new Map(rows.map((row) => [row.runId, row]));
  }

  /** The newest reading of a sync of this audience (or of its list): `audiences show`'s match rate. */
  lastSyncOf(adAccountId: string, audienceId: string, customerListId: string | undefined): RunHealth | undefined {
    return this.db
      .prepare(
        `SELECT ${READING_COLUMNS} FROM audience_health h JOIN runs r ON r.id = h.run_id
         WHERE r.ad_account_id = ? AND (r.audience_id = ? OR r.customer_list_id = ?) AND r.operation = 'MIRROR'
         ORDER BY h.run_id DESC LIMIT 1`,
      )
      .get(adAccountId, audienceId, customerListId ?? null) as RunHealth | undefined;
  }
}

/** The audience size against the users synced, as a share (0.72); undefined when either is unknown. */
export function matchRate(reading: Pick<HealthReading, 'audienceSize' | 'usersSynced'>): number | undefined {
  if (reading.audienceSize === null || !reading.usersSynced) return undefined;
  return reading.audienceSize / reading.usersSynced;
}
